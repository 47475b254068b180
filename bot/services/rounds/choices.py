"""What members choose together in appreciative inquiry: the affirmative topic (one vote each,
changeable), the themes of the positive core drawn from the stories (agreed by members), and
the provocative propositions that design from them (endorsed by members). Counts are shown to
members; who voted for what is shown to nobody."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.errors import InvalidInput, NotFound
from bot.models import ChoiceKind, Member, Round, RoundChoice, RoundKind, RoundVote
from bot.services.rounds.method import LIVE, TOPIC_MAX, add_once, phase, prompts_, written

CHOICE_MAX = 300
CORE_MAX = 5  # themes heading the Dream and Design posts

# A provocative proposition is written as if it were already true: present tense, affirmative.
_FUTURE = re.compile(
    r"\b(will|won't|shall|should|could|would|must|might|going to|need to|needs to|"
    r"ought|hope|wish|want to|plan to|try to|aim to)\b",
    re.IGNORECASE,
)
_NEGATIVE = re.compile(r"\b(not|no|never|nobody|nothing|none)\b|n't\b", re.IGNORECASE)


def check_proposition(text: str, *, field: str) -> str:
    """A provocative proposition as the method writes one: present tense and affirmative
    ("We are a community where…"). "We will…", "We should…" or a "not" is a field error that
    says how to put it."""
    text = written(text, field=field, refusal="Write the proposition.", hint="We are a …")
    words = prompts_()["ai"]["proposition_errors"]
    if _FUTURE.search(text):
        raise InvalidInput("Not present tense", {field: str(words["future"])})
    if _NEGATIVE.search(text):
        raise InvalidInput("Not affirmative", {field: str(words["negative"])})
    if len(text) > CHOICE_MAX:
        raise InvalidInput("Too long", {field: f"Up to {CHOICE_MAX} characters, please."})
    return text


def _current(round_: Round, flag: str) -> bool:
    return (
        round_.kind == RoundKind.AI
        and round_.status in LIVE
        and bool((phase(round_) or {}).get(flag))
    )


def propose(
    session: Session,
    *,
    community_id: int,
    member: Member,
    kind: ChoiceKind,
    text: str,
    round_: Round | None = None,
    theme_id: int | None = None,
    source_key: str | None = None,
) -> tuple[RoundChoice, bool]:
    """A member proposes a topic (for the CoP), a theme (in Discover) or a proposition tied to
    one of the positive core's themes (in Design); its proposer agrees with it."""
    field = "text"
    if kind == ChoiceKind.TOPIC:
        text = written(text, field=field, refusal="Name the topic.", hint="What we want more of.")
        text = text[:TOPIC_MAX]
    elif kind == ChoiceKind.THEME:
        if round_ is None or not _current(round_, "themes"):
            raise InvalidInput("Themes", {field: "Themes are drawn in Discover; it has moved on."})
        text = written(text, field=field, refusal="Name the theme.", hint="A few words.")
        text = text[:CHOICE_MAX]
    else:
        if round_ is None or not _current(round_, "propositions"):
            raise InvalidInput("Design", {field: "Propositions are written in Design."})
        text = check_proposition(text, field=field)
        core = {c.id for c in core_themes(session, round_)}
        if theme_id not in core:
            raise InvalidInput("Theme", {"theme": "Pick the theme of the positive core it serves."})
    choice, created = add_once(
        session,
        RoundChoice(
            community_id=community_id,
            round_id=round_.id if round_ is not None else None,
            kind=kind,
            member_id=member.id,
            text=text,
            theme_id=theme_id if kind == ChoiceKind.PROPOSITION else None,
            source_key=source_key,
        ),
    )
    if created and kind != ChoiceKind.TOPIC:
        vote(session, choice, member)
    return choice, created


def _scope(choice: RoundChoice) -> str:
    if choice.kind == ChoiceKind.TOPIC:
        return f"topic:{choice.community_id}"
    return f"choice:{choice.id}"


def get_choice(session: Session, choice_id: int, *, community_id: int | None) -> RoundChoice:
    choice = session.get(RoundChoice, choice_id)
    if choice is None or choice.community_id != community_id:
        raise NotFound("That is no longer open.")
    return choice


def vote(session: Session, choice: RoundChoice, member: Member) -> bool:
    """A topic vote: one each, moved by voting for another. A theme or proposition: agreeing or
    endorsing, pressed again to take it back. True when the member now votes for it."""
    if choice.kind == ChoiceKind.TOPIC and choice.chosen:
        raise NotFound("That topic has been chosen: its round has started.")
    if choice.kind != ChoiceKind.TOPIC:
        round_ = session.get(Round, choice.round_id or 0)
        flag = "themes" if choice.kind == ChoiceKind.THEME else "propositions"
        if round_ is None or not _current(round_, flag):
            raise NotFound("That vote has closed: the round has moved on.")
    scope = _scope(choice)
    mine = session.scalar(
        select(RoundVote).where(RoundVote.scope == scope, RoundVote.member_id == member.id)
    )
    if mine is not None and choice.kind != ChoiceKind.TOPIC:
        session.delete(mine)
        session.flush()
        return False
    if mine is not None:
        mine.choice_id = choice.id
    else:
        with session.begin_nested():
            session.add(RoundVote(choice_id=choice.id, member_id=member.id, scope=scope))
    session.flush()
    return True


def tally(session: Session, choices: list[RoundChoice]) -> dict[int, int]:
    ids = [c.id for c in choices]
    if not ids:
        return {}
    rows = session.execute(
        select(RoundVote.choice_id, func.count())
        .where(RoundVote.choice_id.in_(ids))
        .group_by(RoundVote.choice_id)
    )
    counts = {i: 0 for i in ids}
    counts.update({int(cid): int(n) for cid, n in rows})
    return counts


def voted(session: Session, choices: list[RoundChoice], member_id: int | None) -> set[int]:
    """Which of these the member votes for (shown only to them)."""
    if member_id is None or not choices:
        return set()
    return set(
        session.scalars(
            select(RoundVote.choice_id).where(
                RoundVote.member_id == member_id,
                RoundVote.choice_id.in_([c.id for c in choices]),
            )
        )
    )


def open_topics(session: Session, community_id: int) -> list[RoundChoice]:
    return list(
        session.scalars(
            select(RoundChoice)
            .where(
                RoundChoice.community_id == community_id,
                RoundChoice.kind == ChoiceKind.TOPIC,
                RoundChoice.chosen.is_(False),
            )
            .order_by(RoundChoice.id)
        )
    )


def round_choices(session: Session, round_: Round, kind: ChoiceKind) -> list[RoundChoice]:
    return list(
        session.scalars(
            select(RoundChoice)
            .where(RoundChoice.round_id == round_.id, RoundChoice.kind == kind)
            .order_by(RoundChoice.id)
        )
    )


def core_themes(session: Session, round_: Round) -> list[RoundChoice]:
    """The positive core: the themes members agreed on, most agreed first. A theme needs the
    agreement of at least two members (`core_min_agree`); when none has, the most agreed."""
    themes = round_choices(session, round_, ChoiceKind.THEME)
    counts = tally(session, themes)
    ranked = sorted((t for t in themes if counts[t.id]), key=lambda t: (-counts[t.id], t.id))
    need = int(prompts_()["ai"].get("core_min_agree", 2))
    agreed = [t for t in ranked if counts[t.id] >= need]
    if not agreed and ranked:
        agreed = [t for t in ranked if counts[t.id] == counts[ranked[0].id]]
    return agreed[:CORE_MAX]


def settle_core(session: Session, round_: Round) -> None:
    """Fix the positive core as the round leaves Discover: the Dream and Design posts head with
    it, and the synthesis opens with it."""
    if round_.kind != RoundKind.AI or (round_.settings or {}).get("core") is not None:
        return
    round_.settings = {
        **(round_.settings or {}),
        "core": [t.text for t in core_themes(session, round_)],
    }
    session.flush()


def take_topic(session: Session, choice_id: int, community_id: int) -> RoundChoice:
    """The topic a convenor starts a round from: chosen, its votes (counted) set free."""
    choice = get_choice(session, choice_id, community_id=community_id)
    if choice.kind != ChoiceKind.TOPIC or choice.chosen:
        raise NotFound("That topic has already been chosen.")
    return choice


def mark_chosen(session: Session, choice: RoundChoice, round_: Round) -> None:
    votes = tally(session, [choice])[choice.id]
    choice.chosen = True
    choice.round_id = round_.id
    round_.settings = {**(round_.settings or {}), "topic_votes": votes, "topic_id": choice.id}
    session.execute(delete(RoundVote).where(RoundVote.choice_id == choice.id))
    session.flush()
