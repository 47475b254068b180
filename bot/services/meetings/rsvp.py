"""Members' answers to a meeting: going, maybe or not, one per occurrence, and who is coming."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import InvalidInput
from bot.models import Meeting, MeetingRsvp, MeetingStatus, Member, MemberStatus, Rsvp
from bot.services.meetings.series import Occurrence, occurrence_at, occurrences


def occurrence_for_answer(meeting: Meeting, day: date, now: datetime) -> Occurrence:
    """The occurrence an RSVP is about; only one that is real and not over yet."""
    if meeting.status != MeetingStatus.SCHEDULED:
        raise InvalidInput("That meeting has been cancelled.")
    occ = occurrence_at(meeting, day)
    real = any(o.day == day for o in occurrences(meeting, start=occ.starts_at, end=occ.ends_at))
    if not real or occ.ends_at <= now:
        raise InvalidInput("That meeting is over; the post shows the next one.")
    return occ


def set_rsvp(
    session: Session, meeting: Meeting, member: Member, day: date, response: Rsvp
) -> MeetingRsvp:
    row = session.scalar(
        select(MeetingRsvp).where(
            MeetingRsvp.meeting_id == meeting.id,
            MeetingRsvp.occurrence == day,
            MeetingRsvp.member_id == member.id,
        )
    )
    if row is None:
        row = MeetingRsvp(meeting_id=meeting.id, occurrence=day, member_id=member.id)
        session.add(row)
    row.response = response
    session.flush()
    return row


def rsvps(session: Session, meeting_id: int, day: date) -> dict[int, Rsvp]:
    rows = session.execute(
        select(MeetingRsvp.member_id, MeetingRsvp.response).where(
            MeetingRsvp.meeting_id == meeting_id, MeetingRsvp.occurrence == day
        )
    )
    return {member_id: response for member_id, response in rows}


def rsvp_counts(session: Session, meeting_id: int, day: date) -> dict[Rsvp, int]:
    counts = dict.fromkeys(Rsvp, 0)
    for response in rsvps(session, meeting_id, day).values():
        counts[response] += 1
    return counts


def going_names(session: Session, meeting_id: int, day: date) -> list[str]:
    return list(
        session.scalars(
            select(Member.name)
            .join(MeetingRsvp, MeetingRsvp.member_id == Member.id)
            .where(
                MeetingRsvp.meeting_id == meeting_id,
                MeetingRsvp.occurrence == day,
                MeetingRsvp.response == Rsvp.GOING,
            )
            .order_by(Member.name)
        )
    )


def attendee_ids(session: Session, meeting: Meeting, day: date) -> tuple[str, ...]:
    """Who said they'd come (going or maybe) and is still a member."""
    return tuple(
        session.scalars(
            select(Member.user_id)
            .join(MeetingRsvp, MeetingRsvp.member_id == Member.id)
            .where(
                MeetingRsvp.meeting_id == meeting.id,
                MeetingRsvp.occurrence == day,
                MeetingRsvp.response.in_([Rsvp.GOING, Rsvp.MAYBE]),
                Member.status == MemberStatus.ACTIVE,
            )
            .order_by(Member.id)
        )
    )
