"""Forget-me and my data: a member's RSVPs and pulse answers, and the meetings they convened."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.models import Meeting, MeetingPulse, MeetingRsvp, Member


def forget_member(session: Session, member: Member) -> None:
    """Forget-me: their RSVPs and pulse answers go; meetings they convened stay, unsigned."""
    session.execute(delete(MeetingRsvp).where(MeetingRsvp.member_id == member.id))
    session.execute(delete(MeetingPulse).where(MeetingPulse.member_id == member.id))
    session.execute(
        update(Meeting).where(Meeting.convenor_id == member.id).values(convenor_id=None)
    )


def member_data(session: Session, member: Member) -> dict[str, object]:
    rsvp_rows = session.execute(
        select(Meeting.title, MeetingRsvp.occurrence, MeetingRsvp.response)
        .join(Meeting, Meeting.id == MeetingRsvp.meeting_id)
        .where(MeetingRsvp.member_id == member.id)
        .order_by(MeetingRsvp.occurrence, MeetingRsvp.id)
    )
    pulse_rows = session.execute(
        select(Meeting.title, MeetingPulse.occurrence, MeetingPulse.score, MeetingPulse.note)
        .join(Meeting, Meeting.id == MeetingPulse.meeting_id)
        .where(MeetingPulse.member_id == member.id)
        .order_by(MeetingPulse.occurrence, MeetingPulse.id)
    )
    convened = session.scalars(
        select(Meeting.title).where(Meeting.convenor_id == member.id).order_by(Meeting.id)
    )
    return {
        "rsvps": [
            {"meeting": t, "date": d.isoformat(), "answer": r.value} for t, d, r in rsvp_rows
        ],
        "pulses": [
            {"meeting": t, "date": d.isoformat(), "score": s, "note": n}
            for t, d, s, n in pulse_rows
        ],
        "meetings_convened": list(convened),
    }
