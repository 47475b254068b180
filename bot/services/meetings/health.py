"""The health report's figure from meetings: participation, from who said they were going."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Meeting, MeetingRsvp, MeetingStatus, Rsvp
from bot.services import membership
from bot.services.duties import HealthFigures
from bot.services.meetings.series import occurrences


def health_figures(
    session: Session, community_id: int, since: datetime, now: datetime
) -> HealthFigures:
    """Meeting participation: for each occurrence that ended in the window, the share of active
    members who said they were going, as the post shows by name. Each is activity. The pulse
    is answered without a name, and a "maybe" is only counted on the post: neither counts here."""
    figures = HealthFigures()
    members = {m.id: m.user_id for m in membership.active_members(session, community_id)}
    if not members:
        return figures
    held = list(
        session.scalars(
            select(Meeting).where(
                Meeting.community_id == community_id,
                Meeting.status == MeetingStatus.SCHEDULED,
            )
        )
    )
    attended_total = possible = 0
    going: set[int] = set()
    # Everyone who said they were going to anything in the window, in one statement.
    said_going: dict[tuple[int, date], set[int]] = {}
    for meeting_id, day, member_id in session.execute(
        select(MeetingRsvp.meeting_id, MeetingRsvp.occurrence, MeetingRsvp.member_id)
        .join(Meeting, Meeting.id == MeetingRsvp.meeting_id)
        .where(
            Meeting.community_id == community_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            MeetingRsvp.occurrence >= since.date() - timedelta(days=1),
            MeetingRsvp.occurrence <= now.date() + timedelta(days=1),
            MeetingRsvp.response == Rsvp.GOING,
        )
    ):
        said_going.setdefault((meeting_id, day), set()).add(member_id)
    for meeting in held:
        ended = [o for o in occurrences(meeting, start=since, end=now) if o.ends_at <= now]
        if not ended:
            continue
        present = {o.day: said_going.get((meeting.id, o.day), set()) for o in ended}
        for occ in ended:
            came = present[occ.day] & members.keys()
            going |= came
            attended_total += len(came)
            possible += len(members)
            for member_id in came:
                user_id = members[member_id]
                figures.activity[user_id] = figures.activity.get(user_id, 0) + 1
                if (
                    user_id not in figures.last_active
                    or occ.starts_at > figures.last_active[user_id]
                ):
                    figures.last_active[user_id] = occ.starts_at
    if possible:
        figures.rates["Meeting participation"] = attended_total / possible
        figures.counted["Meeting participation"] = len(going)
    return figures
