"""Forget-me and my data: a member's check-ins, pause and "off" are theirs alone."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.models import Checkin, CheckinOptOut, CheckinPause, Member
from bot.services.checkins.pauses import is_off


def forget_member(session: Session, member: Member) -> None:
    """Forget-me: a member's check-ins, holiday pause and "off" go; they are theirs alone."""
    session.execute(delete(Checkin).where(Checkin.member_id == member.id))
    session.execute(delete(CheckinPause).where(CheckinPause.member_id == member.id))
    session.execute(delete(CheckinOptOut).where(CheckinOptOut.member_id == member.id))


def member_data(session: Session, member: Member) -> dict[str, object]:
    """My data: every check-in (with who could see it), any pause, and whether they are off."""
    rows = session.scalars(
        select(Checkin).where(Checkin.member_id == member.id).order_by(Checkin.week)
    )
    pause = session.get(CheckinPause, member.id)
    return {
        "checkins": [
            {
                "week": c.week,
                "status": c.status.value,
                "mood": c.mood,
                "on_mind": c.on_mind,
                "win": c.win,
                "challenge": c.challenge,
                "support": c.support,
                "wants_call": c.wants_call,
                "tell_convenors": c.tell_convenors,
                "visibility": c.visibility.value,
                "created_at": c.created_at.isoformat(),
                "updated_at": c.updated_at.isoformat(),
            }
            for c in rows
        ],
        "paused_until": pause.until.isoformat() if pause is not None else None,
        "weekly_checkins_off": is_off(session, member.id),
    }
