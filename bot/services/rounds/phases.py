"""Moving through the phases: next, pause, resume, extend, close, and the time each phase has.
A stale button (from an earlier phase) and any button of a set that has not started change
nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Round, RoundStatus
from bot.services.rounds.method import LIVE, step_count
from bot.services.rounds.synthesis import synthesis


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
    round_.synthesis = synthesis(round_)
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
