"""Kettle's private nudges during a round: one invitation to members who have been quiet (once a
round, never once a phase, never to someone who said no; in an asynchronous round at a sensible
hour of their own day), and the once-a-phase ledger of nudges
(invitations, coaching tips, prompts) each member was sent."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import (
    Member,
    Round,
    RoundChoice,
    RoundKind,
    RoundMode,
    RoundNote,
    RoundOptOut,
    RoundStatus,
    RoundVote,
)
from bot.services import clock
from bot.services.membership import active_members
from bot.services.rounds.method import prompts_


def participants(session: Session, round_: Round) -> set[int]:
    """Members who have taken part in the round in any way: said something, committed, asked
    for an interview, proposed or voted on a theme or proposition."""
    found = {c.member_id for c in round_.contributions} | {c.member_id for c in round_.commitments}
    found |= set(
        session.scalars(
            select(RoundNote.member_id).where(
                RoundNote.round_id == round_.id, RoundNote.kind == "interview"
            )
        )
    )
    found |= set(
        session.scalars(
            select(RoundVote.member_id)
            .join(RoundChoice, RoundChoice.id == RoundVote.choice_id)
            .where(RoundChoice.round_id == round_.id)
        )
    )
    return {i for i in found if i is not None}


def sensible_hours() -> tuple[int, int]:
    """The local hours (from, until) at which Kettle prompts someone: never in their night."""
    hours = prompts_().get("asynchronous", {})
    return int(hours.get("prompt_from", 9)), int(hours.get("prompt_until", 19))


def at_sensible_hour(now: datetime, *zones: str | None) -> bool:
    """Whether it is a sensible hour where the member is (their own zone, else the workspace's)."""
    start, end = sensible_hours()
    return start <= now.astimezone(clock.zone(*zones)).hour < end


def due_invitations(
    session: Session, now: datetime, *, workspace_tz: str | None = None
) -> list[tuple[Round, list[Member]]]:
    """AI rounds that are inviting: members who are quiet, not yet invited to this round, who
    have not said no. A live round invites some minutes into a phase, once (quiet in that
    phase), never again in a later phase. An asynchronous round invites each member who has not
    yet taken part at all, some hours into a phase after the first (they were prompted for the
    first), at a sensible hour of their own day, once a round."""
    rounds = session.scalars(
        select(Round).where(
            Round.status == RoundStatus.RUNNING,
            Round.kind == RoundKind.AI,
            (Round.invited_phase < 0) | (Round.mode == RoundMode.ASYNC),
        )
    )
    out = []
    for r in rounds:
        live = r.mode != RoundMode.ASYNC
        after = (
            timedelta(minutes=int(prompts_().get("invite_after_minutes", 5)))
            if live
            else timedelta(hours=int(prompts_().get("asynchronous", {}).get("invite_after", 6)))
        )
        if r.announced_phase < r.phase_index or r.phase_started_at + after > now:
            continue
        if not live and r.phase_index == 0:
            continue
        spoke: set[int | None]
        if live:
            spoke = {c.member_id for c in r.contributions if c.phase_index == r.phase_index}
            spoke |= {c.member_id for c in r.commitments}
        else:
            spoke = set(participants(session, r))
        noted = set(
            session.scalars(
                select(RoundNote.member_id).where(
                    RoundNote.round_id == r.id, RoundNote.kind == "invite"
                )
            )
        )
        people = [
            m
            for m in active_members(session, r.community_id)
            if m.id not in spoke | noted
            and wants_invitations(session, m.id)
            and (live or at_sensible_hour(now, m.tz, workspace_tz))
        ]
        out.append((r, people))
    return out


def wants_invitations(session: Session, member_id: int) -> bool:
    """False once the member said "no more invitations"; it holds for every round after."""
    return session.get(RoundOptOut, member_id) is None


def set_invitations(session: Session, member: Member, *, wanted: bool) -> None:
    row = session.get(RoundOptOut, member.id)
    if wanted and row is not None:
        session.delete(row)
    elif not wanted and row is None:
        session.add(RoundOptOut(member_id=member.id))
    session.flush()


def mark_invited(session: Session, round_id: int, phase_index: int) -> None:
    """A live round has sent its invitations (in this phase); it sends no more. An asynchronous
    one invites each member at their own hour, so only each member's note counts."""
    round_ = session.get(Round, round_id)
    if round_ is None or round_.mode == RoundMode.ASYNC:
        return
    if round_.invited_phase < phase_index:
        round_.invited_phase = phase_index
        session.flush()


def note_once(session: Session, round_: Round, member_id: int, kind: str) -> bool:
    """Record that Kettle did `kind` for this member in this phase; False if it already had."""
    exists = session.scalar(
        select(RoundNote.id).where(
            RoundNote.round_id == round_.id,
            RoundNote.phase_index == round_.phase_index,
            RoundNote.member_id == member_id,
            RoundNote.kind == kind,
        )
    )
    if exists is not None:
        return False
    with session.begin_nested():
        session.add(
            RoundNote(
                round_id=round_.id, phase_index=round_.phase_index, member_id=member_id, kind=kind
            )
        )
    return True
