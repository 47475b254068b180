"""A closed appreciative-inquiry round offered to the story library, with each contributor's
consent. Each member who put their name to something in the round (a story of their own, a
dream, a design, a proposition, a commitment) is asked once; a yes makes one story in the
library, theirs, under the round's positive core, carrying only their own named words and kept
in the CoP (stories' consent gate: it can go further only with their own approval of its exact
text). Anonymous words and retellings of someone else's story are never in it; a no, or no
answer, leaves nothing there."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import NotFound
from bot.models import (
    ChoiceKind,
    Community,
    Consent,
    Member,
    Round,
    RoundChoice,
    RoundKind,
    RoundNote,
    RoundStatus,
    Story,
    StoryKind,
)
from bot.services import stories
from bot.services.rounds.method import phases, prompts_

ASKED, YES, NO = "library_asked", "library_yes", "library_no"
WHOLE_ROUND = -1  # the phase index of a note about the whole round


def _notes(session: Session, round_id: int, kind: str) -> set[int]:
    return set(
        session.scalars(
            select(RoundNote.member_id).where(
                RoundNote.round_id == round_id,
                RoundNote.kind == kind,
                RoundNote.phase_index == WHOLE_ROUND,
            )
        )
    )


def _note(session: Session, round_id: int, member_id: int, kind: str) -> bool:
    if member_id in _notes(session, round_id, kind):
        return False
    with session.begin_nested():
        session.add(
            RoundNote(round_id=round_id, phase_index=WHOLE_ROUND, member_id=member_id, kind=kind)
        )
    return True


def own_words(session: Session, round_: Round, member_id: int) -> list[str]:
    """What the member said under their own name in the round, one line each."""
    names = [ph["name"] for ph in phases(round_.kind)]
    lines = [
        f"{names[c.phase_index]}: {c.text}"
        for c in round_.contributions
        if c.member_id == member_id and not c.anonymous and c.about_id is None and not c.awaiting
    ]
    lines += [
        f"Proposition: {c.text}"
        for c in session.scalars(
            select(RoundChoice).where(
                RoundChoice.round_id == round_.id,
                RoundChoice.kind == ChoiceKind.PROPOSITION,
                RoundChoice.member_id == member_id,
            )
        )
    ]
    lines += [f"Commitment: {c.what}" for c in round_.commitments if c.member_id == member_id]
    return lines


def due_offers(session: Session) -> list[tuple[Round, list[Member]]]:
    """Closed AI rounds whose synthesis is posted: contributors not yet asked."""
    rounds = session.scalars(
        select(Round).where(
            Round.kind == RoundKind.AI,
            Round.status == RoundStatus.CLOSED,
            Round.synthesis_posted.is_(True),
        )
    )
    out = []
    for r in rounds:
        asked = _notes(session, r.id, ASKED)
        people = {c.member_id: c.member for c in r.contributions if c.member is not None}
        people |= {c.member_id: c.member for c in r.commitments if c.member is not None}
        due = [
            m
            for i, m in people.items()
            if i is not None and m is not None and i not in asked and own_words(session, r, i)
        ]
        if due:
            out.append((r, due))
    return out


def mark_offered(session: Session, round_id: int, member_id: int) -> None:
    _note(session, round_id, member_id, ASKED)


def answer_offer(
    session: Session, round_id: int, member: Member, *, yes: bool
) -> tuple[str, Story | None]:
    """The contributor's answer: yes puts their part in the library (once), no keeps it out.
    Returns "yes", "no" or "answered" (already), and the story a yes made."""
    round_ = session.get(Round, round_id)
    if round_ is None or round_.community_id != member.community_id:
        raise NotFound("That round has gone.")
    if member.id not in _notes(session, round_id, ASKED):
        raise NotFound("That offer isn't yours to answer.")
    if _notes(session, round_id, YES) & {member.id} or _notes(session, round_id, NO) & {member.id}:
        return "answered", None
    if not yes:
        _note(session, round_id, member.id, NO)
        return "no", None
    community = session.get_one(Community, round_.community_id)
    words = prompts_()["ai"]["library"]
    core = (round_.settings or {}).get("core") or []
    head = str(words["core"]).format(core=" · ".join(core)) if core else ""
    body = "\n".join([head, *own_words(session, round_, member.id)]).strip()
    themes = [t[: stories.THEME_MAX].strip().lower() for t in core][: stories.THEMES_MAX]
    draft = stories.StoryDraft(
        title=str(words["title"]).format(topic=round_.topic)[: stories.TITLE_MAX],
        body=body[: stories.BODY_MAX],
        kind=StoryKind.SUCCESS,
        consent=Consent.COP_ONLY,
        themes=[t for t in themes if t],
    )
    story, _ = stories.create_story(
        session,
        community=community,
        author=member,
        draft=draft,
        source_key=f"round:{round_id}:library:{member.id}",
    )
    _note(session, round_id, member.id, YES)
    return "yes", story
