"""Kettle's private nudges during a round: one invitation to members who have been quiet in a
phase (once a round, never to someone who said no), a tea break in a long round, and the
once-a-phase ledger of nudges (invitations, coaching tips) each member was sent."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Member, Round, RoundKind, RoundNote, RoundOptOut, RoundStatus
from bot.services.membership import active_members
from bot.services.rounds.method import LIVE, phase, prompts_
from bot.services.rounds.phases import pause


def due_invitations(session: Session, now: datetime) -> list[tuple[Round, list[Member]]]:
    """AI rounds some minutes into a phase that have not invited anyone yet: members quiet in
    that phase, not yet invited to this round, who have not said no. A round invites once,
    never again in a later phase."""
    after = timedelta(minutes=int(prompts_().get("invite_after_minutes", 5)))
    rounds = session.scalars(
        select(Round).where(
            Round.status == RoundStatus.RUNNING,
            Round.kind == RoundKind.AI,
            Round.invited_phase < 0,
        )
    )
    out = []
    for r in rounds:
        if r.announced_phase < r.phase_index or r.phase_started_at + after > now:
            continue
        spoke = {c.member_id for c in r.contributions if c.phase_index == r.phase_index}
        spoke |= {c.member_id for c in r.commitments}
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
            if m.id not in spoke | noted and wants_invitations(session, m.id)
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
    """The round has sent its invitations (in this phase); it sends no more."""
    round_ = session.get(Round, round_id)
    if round_ is not None and round_.invited_phase < phase_index:
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


# -- tea breaks --------------------------------------------------------------------------------


def tea_break_after(round_: Round) -> timedelta:
    """When a round's tea break comes: after `tea_break_after_minutes`, or halfway through a
    round planned shorter than twice that, so that no round ends before its tea."""
    after = int(prompts_().get("tea_break_after_minutes", 60))
    planned = sum(round_.phase_minutes or [])
    return timedelta(minutes=min(after, planned // 2) if planned else after)


def due_tea_breaks(session: Session, now: datetime) -> list[Round]:
    """Live rounds (a meeting, timed in minutes and running) whose tea break has come. A round
    planned over more than a day is no meeting: it has no tea break."""
    rounds = session.scalars(
        select(Round).where(Round.status.in_(LIVE), Round.tea_break_sent.is_(False))
    )
    return [
        r
        for r in rounds
        if r.thread_ts
        and sum(r.phase_minutes or []) <= 24 * 60
        and any(r.phase_minutes or [])
        and r.started_at + tea_break_after(r) <= now
    ]


def take_tea_break(session: Session, round_id: int, now: datetime) -> str:
    """Pause the round's timer for tea (the time left waits until the facilitator resumes);
    the nudge's wording says how long is left and where."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        return ""
    pause(session, round_, now=now)
    if round_.paused_seconds_left is None:  # a phase run by hand has no clock to stop
        return str(prompts_()["tea_break_by_hand"])
    left = max(1, (round_.paused_seconds_left or 0) // 60)
    name = (phase(round_) or {}).get("name", "")
    return str(prompts_()["tea_break"]).format(minutes=left, phase=name)


def mark_tea_break(session: Session, round_id: int) -> None:
    round_ = session.get(Round, round_id)
    if round_ is not None:
        round_.tea_break_sent = True
        session.flush()
