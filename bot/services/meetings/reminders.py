"""What falls due when: reminders a day and an hour ahead, "starting now", the tea break, the
pulse and the convenor's summary, each in a window that bounds catch-up after downtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Meeting, MeetingStatus, Repeat, Rsvp
from bot.services import membership
from bot.services.meetings.rsvp import attendee_ids, rsvps
from bot.services.meetings.series import Occurrence, next_occurrence, occurrences
from bot.services.meetings.tea import MeetingConfig

REMIND_DAY = timedelta(hours=24)
REMIND_HOUR = timedelta(hours=1)
START_GRACE = timedelta(minutes=15)
PULSE_WINDOW = timedelta(hours=20)  # closes before the summary goes
SUMMARY_AFTER = timedelta(hours=24)
SUMMARY_WINDOW = timedelta(days=7)
LOOKBACK = SUMMARY_AFTER + SUMMARY_WINDOW + timedelta(days=1)


class DueKind(StrEnum):
    REMIND_DAY = "remind-day"
    REMIND_HOUR = "remind-hour"
    START = "start"
    TEA = "tea"
    PULSE = "pulse"
    SUMMARY = "summary"


@dataclass(frozen=True)
class Due:
    """Something to send now: to each of `recipients` (user ids), or into the meeting's thread."""

    kind: DueKind
    meeting_id: int
    occurrence: Occurrence
    recipients: tuple[str, ...] = field(default=())

    def key(self, recipient: str | None = None) -> str:
        base = f"meeting:{self.meeting_id}:{self.occurrence.day.isoformat()}:{self.kind.value}"
        return f"{base}:{recipient}" if recipient else base


def due(session: Session, *, now: datetime, config: MeetingConfig) -> list[Due]:
    """Everything that should have gone out by `now` and may still usefully go.

    Windows bound catch-up after downtime (a 'starting now' an hour late is noise); the
    ledger's keys make repeats harmless, so the caller may ask as often as it likes.
    """
    found: list[Due] = []
    meetings = session.scalars(
        select(Meeting).where(Meeting.status == MeetingStatus.SCHEDULED).order_by(Meeting.id)
    )
    for meeting in meetings:
        for occ in occurrences(meeting, start=now - LOOKBACK, end=now + REMIND_DAY + REMIND_HOUR):
            found.extend(_due_for(session, meeting, occ, now=now, config=config))
    return found


def _due_for(
    session: Session, meeting: Meeting, occ: Occurrence, *, now: datetime, config: MeetingConfig
) -> list[Due]:
    s, e = occ.starts_at, occ.ends_at
    out: list[Due] = []
    answers: dict[int, Rsvp] | None = None

    def invited() -> tuple[str, ...]:
        nonlocal answers
        answers = answers if answers is not None else rsvps(session, meeting.id, occ.day)
        members = membership.active_members(session, meeting.community_id)
        return tuple(m.user_id for m in members if answers.get(m.id) != Rsvp.DECLINED)

    def window(kind: DueKind, opens: datetime, closes: datetime) -> bool:
        # A reminder whose moment came before the meeting existed is not sent late.
        return opens <= now < closes and meeting.created_at <= opens

    if window(DueKind.REMIND_DAY, s - REMIND_DAY, s - REMIND_HOUR):
        out.append(Due(DueKind.REMIND_DAY, meeting.id, occ, invited()))
    if window(DueKind.REMIND_HOUR, s - REMIND_HOUR, s):
        out.append(Due(DueKind.REMIND_HOUR, meeting.id, occ, invited()))
    if s <= now < min(s + START_GRACE, e):
        out.append(Due(DueKind.START, meeting.id, occ, invited()))
    tea = config.tea_offset(meeting.duration_minutes)
    if tea is not None and meeting.message_ts and s + tea <= now < e:
        out.append(Due(DueKind.TEA, meeting.id, occ))
    if e <= now < e + PULSE_WINDOW:
        attendees = attendee_ids(session, meeting, occ.day)
        if attendees:
            out.append(Due(DueKind.PULSE, meeting.id, occ, attendees))
    summary_open = e + SUMMARY_AFTER <= now < e + SUMMARY_AFTER + SUMMARY_WINDOW
    if summary_open and meeting.convenor and attendee_ids(session, meeting, occ.day):
        out.append(Due(DueKind.SUMMARY, meeting.id, occ, (meeting.convenor.user_id,)))
    return out


def posts_to_refresh(session: Session, *, now: datetime) -> list[tuple[Meeting, Occurrence]]:
    """Repeating meetings whose post still shows an occurrence that is over."""
    stale = []
    for meeting in session.scalars(
        select(Meeting).where(
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.repeat != Repeat.NONE,
            Meeting.message_ts.is_not(None),
        )
    ):
        occ = next_occurrence(meeting, now)
        if occ is not None and occ.day != meeting.posted_occurrence:
            stale.append((meeting, occ))
    return stale
