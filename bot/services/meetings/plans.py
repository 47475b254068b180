"""Planning meetings: the convenor's form checked, a meeting stored once per submission, edited,
cancelled, its post noted, and the list of what is coming up."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.errors import InvalidInput, NotFound
from bot.models import Community, Meeting, MeetingStatus, Member, Repeat
from bot.services.fields import copy_fields
from bot.services.meetings.series import Occurrence, next_occurrence, zone

TITLE_MAX = 150
AGENDA_MAX = 2500
URL_MAX = 2000
DURATIONS = (30, 45, 60, 75, 90, 120, 150, 180, 240)

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class MeetingDraft:
    title: str
    day: date
    start_minute: int
    duration_minutes: int
    video_url: str
    agenda: str
    channel_id: str
    repeat: Repeat


# -- the form --------------------------------------------------------------------------------------


def validate_draft(
    *,
    title: str | None,
    day: str | None,
    start: str | None,
    duration: str | None,
    video_url: str | None,
    agenda: str | None,
    channel_id: str | None,
    repeat: str | None,
    tz: str,
    now: datetime,
    field_ids: Mapping[str, str],
) -> MeetingDraft:
    """Check the form; InvalidInput carries one message per field, keyed by the form's block ids."""
    errors: dict[str, str] = {}
    title = " ".join((title or "").split())
    if not title:
        errors[field_ids["title"]] = "Give the meeting a title."
    elif len(title) > TITLE_MAX:
        errors[field_ids["title"]] = f"Keep the title to {TITLE_MAX} characters."
    parsed_day: date | None = None
    try:
        parsed_day = date.fromisoformat(day or "")
    except ValueError:
        errors[field_ids["day"]] = "Choose a date."
    match = _TIME.match((start or "").strip())
    start_minute = int(match.group(1)) * 60 + int(match.group(2)) if match else -1
    if not match:
        errors[field_ids["start"]] = "Choose a start time."
    minutes = int(duration or "0") if (duration or "").isdigit() else 0
    if minutes not in DURATIONS:
        errors[field_ids["duration"]] = "Choose how long it lasts."
    url = (video_url or "").strip()
    if not url or len(url) > URL_MAX or not _URL.match(url):
        errors[field_ids["video_url"]] = "Paste the video link, starting with https://"
    agenda = (agenda or "").strip()
    if len(agenda) > AGENDA_MAX:
        errors[field_ids["agenda"]] = f"Keep the agenda to {AGENDA_MAX} characters."
    if not channel_id:
        errors[field_ids["channel"]] = "Choose where to post it."
    try:
        parsed_repeat = Repeat(repeat or Repeat.NONE.value)
    except ValueError:
        errors[field_ids["repeat"]] = "Choose how it repeats."
        parsed_repeat = Repeat.NONE
    if parsed_day is not None and match:
        local = datetime.combine(parsed_day, time(start_minute // 60, start_minute % 60))
        if local.replace(tzinfo=zone(tz)) <= now:
            errors[field_ids["day"]] = "That time has already passed."
    if errors:
        raise InvalidInput("Please check the form.", errors)
    assert parsed_day is not None and channel_id
    return MeetingDraft(
        title=title,
        day=parsed_day,
        start_minute=start_minute,
        duration_minutes=minutes,
        video_url=url,
        agenda=agenda,
        channel_id=channel_id,
        repeat=parsed_repeat,
    )


# -- storing ---------------------------------------------------------------------------------------


def create_meeting(
    session: Session,
    *,
    community: Community,
    convenor: Member,
    draft: MeetingDraft,
    tz: str,
    source_key: str,
    now: datetime,
) -> tuple[Meeting, bool]:
    """Store a meeting once per form submission; a repeat returns the first."""
    existing = session.scalar(select(Meeting).where(Meeting.source_key == source_key))
    if existing is not None:
        return existing, False
    meeting = Meeting(
        community_id=community.id,
        convenor_id=convenor.id,
        tz=tz,
        source_key=source_key,
        created_at=now,
    )
    _apply(meeting, draft)
    session.add(meeting)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        found = session.scalar(select(Meeting).where(Meeting.source_key == source_key))
        if found is None:
            raise
        return found, False
    return meeting, True


def _apply(meeting: Meeting, draft: MeetingDraft) -> None:
    copy_fields(draft, meeting, renamed={"day": "first_date"})  # the day a series starts


def update_meeting(session: Session, meeting: Meeting, draft: MeetingDraft) -> bool:
    """Apply an edit; returns whether the channel changed (the post must then move)."""
    moved = meeting.channel_id != draft.channel_id
    _apply(meeting, draft)
    meeting.sequence += 1
    if moved:
        meeting.message_ts = None
    session.flush()
    return moved


def cancel_meeting(session: Session, meeting: Meeting) -> bool:
    """Cancel; returns False if it was already cancelled."""
    if meeting.status == MeetingStatus.CANCELLED:
        return False
    meeting.status = MeetingStatus.CANCELLED
    meeting.sequence += 1
    session.flush()
    return True


def record_post(session: Session, meeting: Meeting, *, ts: str, occurrence: date | None) -> None:
    meeting.message_ts = ts
    meeting.posted_occurrence = occurrence
    session.flush()


def get_meeting(session: Session, meeting_id: int, *, community_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.community_id != community_id:
        raise NotFound("I couldn't find that meeting.")
    return meeting


def upcoming(
    session: Session, community_id: int, *, now: datetime, limit: int = 10
) -> list[tuple[Meeting, Occurrence]]:
    """Scheduled meetings with an occurrence still to come or under way, soonest first."""
    found = []
    for meeting in session.scalars(
        select(Meeting).where(
            Meeting.community_id == community_id, Meeting.status == MeetingStatus.SCHEDULED
        )
    ):
        occ = next_occurrence(meeting, now)
        if occ is not None:
            found.append((meeting, occ))
    found.sort(key=lambda pair: (pair[1].starts_at, pair[0].id))
    return found[:limit]
