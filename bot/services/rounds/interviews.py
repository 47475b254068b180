"""Appreciative interviews in an AI round's Discover phase: only members who opted in, in pairs
(a trio when the count is odd), grouped the way one-to-one pairing groups people and honouring
its choices; then each retells their partner's story in the thread, once the partner says yes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import InvalidInput, NotFound
from bot.models import (
    Member,
    Round,
    RoundContribution,
    RoundKind,
    RoundMode,
    RoundNote,
    RoundStatus,
)
from bot.services import pairing
from bot.services.membership import active_members
from bot.services.rounds.method import LIVE, TEXT_MAX, add_once, phase, prompts_, written

OPT_IN = "interview"  # the RoundNote kind of a member's "I'd like an interview"


def _in_discover(round_: Round) -> bool:
    return (
        round_.kind == RoundKind.AI
        and round_.status in LIVE
        and bool((phase(round_) or {}).get("interviews"))
    )


def opt_in(session: Session, round_: Round, member: Member) -> bool:
    """The member asks to be interviewed (and to interview); False if they already had, or the
    pairs are already made, or Discover has moved on."""
    if not _in_discover(round_) or (round_.settings or {}).get("pairs") is not None:
        return False
    if member.id in opted_in(session, round_):
        return False
    with session.begin_nested():
        session.add(RoundNote(round_id=round_.id, phase_index=0, member_id=member.id, kind=OPT_IN))
    return True


def opted_in(session: Session, round_: Round) -> set[int]:
    return set(
        session.scalars(
            select(RoundNote.member_id).where(
                RoundNote.round_id == round_.id, RoundNote.kind == OPT_IN
            )
        )
    )


def interview_groups(session: Session, round_: Round) -> tuple[list[list[Member]], list[Member]]:
    """Pairs (a trio when the count is odd) of the members who opted in, made once a round and
    kept, and who was left without a partner (alone, or only with someone they avoid). They
    honour pairing's choices: nobody who turned pairing off or paused it, and never two people
    one of whom asked not to be paired with the other. Nobody is told why."""
    people = {m.id: m for m in active_members(session, round_.community_id)}
    stored = (round_.settings or {}).get("pairs")
    if stored is None:
        wanted = [i for i in people if i in opted_in(session, round_)]
        ids = [i for i in wanted if i not in pairing.declines_pairing(session, wanted)]
        groups = (
            pairing.make_groups(
                ids,
                costs={},
                forbidden=pairing.forbidden_pairs(session, ids),
                seed=f"interview:{round_.id}",
            )
            if len(ids) > 1
            else []
        )
        paired = {i for g in groups for i in g}
        alone = [i for i in wanted if i not in paired]
        round_.settings = {**(round_.settings or {}), "pairs": groups, "alone": alone}
        session.flush()
    stored = round_.settings["pairs"]
    groups_out = [[people[i] for i in g if i in people] for g in stored]
    alone_out = [people[i] for i in round_.settings.get("alone", []) if i in people]
    return [g for g in groups_out if len(g) > 1], alone_out


def due_pairings(session: Session, now: datetime) -> list[Round]:
    """Rounds over days whose interviews pair themselves: some hours (`pair_after`) into
    Discover, once at least one member has asked (nobody is there to press the button at
    three in the morning)."""
    after = timedelta(hours=int(prompts_().get("asynchronous", {}).get("pair_after", 12)))
    rounds = session.scalars(
        select(Round).where(
            Round.status == RoundStatus.RUNNING,
            Round.kind == RoundKind.AI,
            Round.mode == RoundMode.ASYNC,
        )
    )
    return [
        r
        for r in rounds
        if _in_discover(r)
        and (r.settings or {}).get("pairs") is None
        and r.phase_started_at + after <= now
        and opted_in(session, r)
    ]


def partners(round_: Round, member_id: int | None) -> list[int]:
    """Who the member interviewed (their pair or trio), by member id."""
    for group in (round_.settings or {}).get("pairs") or []:
        if member_id in group:
            return [i for i in group if i != member_id]
    return []


def retell(
    session: Session,
    round_: Round,
    teller: Member,
    partner: Member | None,
    *,
    text: str,
    source_key: str | None,
) -> tuple[RoundContribution, bool]:
    """A member retells their partner's story (in Discover, or in Dream for a late interview);
    it is kept with Discover's stories and waits, unposted, for the partner's yes."""
    if round_.status not in LIVE or round_.phase_index > 1:
        raise InvalidInput("closed", {"text": "The stories were told in Discover."})
    if partner is None or partner.id not in partners(round_, teller.id):
        raise InvalidInput("partner", {"partner": "Pick the partner you interviewed."})
    text = written(text, field="text", refusal="Retell the story.", hint="What they told you.")
    return add_once(
        session,
        RoundContribution(
            round_id=round_.id,
            phase_index=0,
            member_id=teller.id,
            about_id=partner.id,
            awaiting=True,
            text=text[:TEXT_MAX],
            source_key=source_key,
        ),
    )


def answer_retelling(
    session: Session, contribution_id: int, member: Member, *, yes: bool
) -> tuple[str, str | None]:
    """The partner's answer: yes lets the retelling into the thread, no means it is never
    posted (and it goes). Returns what happened ("yes", "no" or "answered", when it already
    was) and the teller's user id; only the partner may answer."""
    said = session.get(RoundContribution, contribution_id)
    if said is None:
        return "answered", None
    if said.about_id != member.id:
        raise NotFound("That story isn't yours to answer for.")
    teller = said.member.user_id if said.member is not None else None
    if not said.awaiting:
        return "answered", teller
    if yes:
        said.awaiting = False
        session.flush()
        return "yes", teller
    session.delete(said)
    session.flush()
    return "no", teller
