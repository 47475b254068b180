"""Stepping back: a pause until a date (a holiday), and weekly check-ins off until turned on."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from bot.errors import InvalidInput
from bot.models import CheckinOptOut, CheckinPause, Member

PAUSE_MAX_DAYS = 366


def pause(session: Session, *, member: Member, until: date | None, today: date) -> date:
    if until is None or until < today:
        raise InvalidInput(
            "Choose a date from today on.", {"pause": "Choose a date from today on."}
        )
    if until > today + timedelta(days=PAUSE_MAX_DAYS):
        raise InvalidInput("Up to a year ahead.", {"pause": "Choose a date within a year."})
    row = session.get(CheckinPause, member.id)
    if row is None:
        session.add(CheckinPause(member_id=member.id, until=until))
    else:
        row.until = until
    session.flush()
    return until


def resume(session: Session, *, member: Member) -> bool:
    """End a pause early; returns whether there was one."""
    return _remove(session, CheckinPause, member)


def paused_until(session: Session, member_id: int, today: date) -> date | None:
    row = session.get(CheckinPause, member_id)
    return row.until if row is not None and row.until >= today else None


def turn_off(session: Session, *, member: Member) -> bool:
    """Weekly check-ins off for good, until the member turns them on; returns whether this
    changed anything. Their own `/checkin` still works: it is theirs to use."""
    if session.get(CheckinOptOut, member.id) is not None:
        return False
    session.add(CheckinOptOut(member_id=member.id))
    session.flush()
    return True


def turn_on(session: Session, *, member: Member) -> bool:
    """Weekly check-ins on again from the next one; returns whether they were off."""
    return _remove(session, CheckinOptOut, member)


def _remove(
    session: Session, kind: type[CheckinPause] | type[CheckinOptOut], member: Member
) -> bool:
    """Delete the member's pause or "off" row; whether there was one."""
    row = session.get(kind, member.id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def is_off(session: Session, member_id: int) -> bool:
    return session.get(CheckinOptOut, member_id) is not None
