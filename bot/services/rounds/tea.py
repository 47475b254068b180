"""Tea breaks that tell the truth: a long live round (a meeting, timed in minutes) is nudged
to take one, and taking it pauses the round's timer, so the time left waits for the set."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Round, RoundMode
from bot.services.rounds.method import LIVE, phase, prompts_
from bot.services.rounds.phases import pause


def tea_break_after(round_: Round) -> timedelta:
    """When a round's tea break comes: after `tea_break_after_minutes`, or halfway through a
    round planned shorter than twice that, so that no round ends before its tea."""
    after = int(prompts_().get("tea_break_after_minutes", 60))
    planned = sum(round_.phase_minutes or [])
    return timedelta(minutes=min(after, planned // 2) if planned else after)


def due_tea_breaks(session: Session, now: datetime) -> list[Round]:
    """Live rounds (a meeting, timed in minutes and running) whose tea break has come. An
    asynchronous round, or one planned over more than a day, is no meeting: it has no tea
    break."""
    rounds = session.scalars(
        select(Round).where(Round.status.in_(LIVE), Round.tea_break_sent.is_(False))
    )
    return [
        r
        for r in rounds
        if r.thread_ts
        and r.mode != RoundMode.ASYNC
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
