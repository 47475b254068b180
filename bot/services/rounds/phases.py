"""Moving through the phases: next, pause, resume, extend, close, and the time each phase has,
in either mode: live (minutes, for a meeting) or asynchronous (hours or days, each member
prompted at a sensible hour of their own day). A stale button (from an earlier phase) and any
button of a set that has not started change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Member, Round, RoundMode, RoundNote, RoundStatus
from bot.services.membership import active_members
from bot.services.rounds.choices import settle_core
from bot.services.rounds.invitations import at_sensible_hour, participants, wants_invitations
from bot.services.rounds.method import LIVE, MAX_PHASE_MINUTES, phase, step_count
from bot.services.rounds.synthesis import synthesis

MAX_ASYNC_MINUTES = 14 * 24 * 60  # an asynchronous phase lasts up to two weeks
PROMPT = "prompt"  # the RoundNote kind of a member's prompt for one phase


def max_minutes(mode: RoundMode) -> int:
    return MAX_ASYNC_MINUTES if mode == RoundMode.ASYNC else MAX_PHASE_MINUTES


def deadline_from(round_: Round, now: datetime) -> datetime | None:
    """When the current phase's time is up, counted from `now`; None for a phase run by hand."""
    minutes = round_.phase_minutes[round_.phase_index] if round_.phase_minutes else 0
    return now + timedelta(minutes=minutes) if minutes else None


def advance(session: Session, round_: Round, *, now: datetime, expected_phase: int | None) -> bool:
    """Move to the next phase (or close after the last). A stale button changes nothing, and
    neither does any button of a set that has not started."""
    if round_.status not in LIVE:
        return False
    if expected_phase is not None and expected_phase != round_.phase_index:
        return False
    if round_.phase_index + 1 >= step_count(round_):
        close(session, round_, now=now)
        return True
    if (phase(round_) or {}).get("themes"):
        settle_core(session, round_)
    round_.phase_index += 1
    round_.phase_started_at = now
    round_.status = RoundStatus.RUNNING
    round_.paused_seconds_left = None
    round_.phase_deadline = deadline_from(round_, now)
    session.flush()
    return True


def close(session: Session, round_: Round, *, now: datetime) -> None:
    if round_.status not in LIVE:
        return
    round_.status = RoundStatus.CLOSED
    round_.closed_at = now
    round_.phase_deadline = None
    session.flush()
    session.refresh(round_)
    settle_core(session, round_)
    round_.synthesis = synthesis(round_, session)
    session.flush()


def pause(session: Session, round_: Round, *, now: datetime) -> bool:
    if round_.status != RoundStatus.RUNNING:
        return False
    if round_.phase_deadline is not None:
        left = int((round_.phase_deadline - now).total_seconds())
        round_.paused_seconds_left = max(left, 60)
    round_.phase_deadline = None
    round_.status = RoundStatus.PAUSED
    session.flush()
    return True


def resume(session: Session, round_: Round, *, now: datetime) -> bool:
    if round_.status != RoundStatus.PAUSED:
        return False
    round_.status = RoundStatus.RUNNING
    if round_.paused_seconds_left is not None:
        round_.phase_deadline = now + timedelta(seconds=round_.paused_seconds_left)
    round_.paused_seconds_left = None
    session.flush()
    return True


def extend(session: Session, round_: Round, *, minutes: int, now: datetime) -> None:
    """Give the current phase more time (a phase run by hand gets a deadline from now)."""
    if round_.status not in LIVE:
        return
    if round_.status == RoundStatus.PAUSED:
        round_.paused_seconds_left = (round_.paused_seconds_left or 0) + minutes * 60
    else:
        base = (
            round_.phase_deadline if round_.phase_deadline and round_.phase_deadline > now else now
        )
        round_.phase_deadline = base + timedelta(minutes=minutes)
    session.flush()


def minutes_left(round_: Round, now: datetime) -> int:
    if round_.status == RoundStatus.PAUSED:
        return max(1, (round_.paused_seconds_left or 0) // 60)
    if round_.phase_deadline is None:
        return 0
    return max(0, int((round_.phase_deadline - now).total_seconds() + 59) // 60)


def due_to_advance(session: Session, now: datetime) -> list[Round]:
    return list(
        session.scalars(
            select(Round)
            .where(
                Round.status == RoundStatus.RUNNING,
                Round.phase_deadline.is_not(None),
                Round.phase_deadline <= now,
            )
            .order_by(Round.id)
        )
    )


# -- asynchronous mode: each member prompted at a sensible local hour ---------------------------


def audience(session: Session, round_: Round) -> list[Member]:
    """Who a phase's prompt is for. A set: its presenter and members. An AI round: everyone for
    its first phase; after that, whoever has taken part (the quiet are invited once instead,
    never once a phase), and never someone who said no to Kettle's private nudges."""
    people = active_members(session, round_.community_id)
    if round_.presenter_id is not None:
        named = set(round_.set_members or [])
        return [m for m in people if m.id == round_.presenter_id or m.user_id in named]
    if round_.phase_index > 0:
        keep = participants(session, round_) | {round_.facilitator_id}
        people = [m for m in people if m.id in keep]
    return [m for m in people if wants_invitations(session, m.id)]


def due_prompts(
    session: Session, now: datetime, *, workspace_tz: str | None
) -> list[tuple[Round, list[Member]]]:
    """Asynchronous rounds whose current phase is posted and open: the members it has not yet
    prompted in this phase for whom it is now a sensible hour. Someone whose morning falls after
    the phase closes is not woken for it; a phase of a day or more reaches everyone."""
    rounds = session.scalars(
        select(Round)
        .where(Round.status == RoundStatus.RUNNING, Round.mode == RoundMode.ASYNC)
        .order_by(Round.id)
    )
    out = []
    for r in rounds:
        if r.announced_phase < r.phase_index or not r.thread_ts:
            continue
        if r.phase_deadline is not None and r.phase_deadline <= now:
            continue
        done = set(
            session.scalars(
                select(RoundNote.member_id).where(
                    RoundNote.round_id == r.id,
                    RoundNote.phase_index == r.phase_index,
                    RoundNote.kind == PROMPT,
                )
            )
        )
        people = [
            m
            for m in audience(session, r)
            if m.id not in done and at_sensible_hour(now, m.tz, workspace_tz)
        ]
        if people:
            out.append((r, people))
    return out
