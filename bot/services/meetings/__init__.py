"""Meetings: DST-safe repeats in the convenor's zone, RSVPs, what falls due when, and the pulse.

Times are stored as a local date and wall-clock minute in the meeting's zone; each occurrence's
UTC instant is computed from them, so "18:00 on the first Tuesday" stays 18:00 across DST.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import privacy
from bot.errors import InvalidInput, NotFound
from bot.models import (
    Community,
    Meeting,
    MeetingPulse,
    MeetingRsvp,
    MeetingStatus,
    Member,
    MemberStatus,
    Repeat,
    Rsvp,
)
from bot.services import clock, membership
from bot.services.duties import HealthFigures
from bot.services.extra import extra_number

TITLE_MAX = 150
AGENDA_MAX = 2500
URL_MAX = 2000
DURATIONS = (30, 45, 60, 75, 90, 120, 150, 180, 240)

REMIND_DAY = timedelta(hours=24)
REMIND_HOUR = timedelta(hours=1)
START_GRACE = timedelta(minutes=15)
PULSE_WINDOW = timedelta(hours=20)  # closes before the summary goes
SUMMARY_AFTER = timedelta(hours=24)
SUMMARY_WINDOW = timedelta(days=7)
LOOKBACK = SUMMARY_AFTER + SUMMARY_WINDOW + timedelta(days=1)

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class MeetingConfig:
    """Tea breaks come in meetings longer than `tea_longer_than` minutes, `tea_at` minutes in
    (halfway when not set)."""

    tea_longer_than: int = 60
    tea_at: int | None = None

    def tea_offset(self, duration: int) -> timedelta | None:
        if duration <= self.tea_longer_than:
            return None
        at = self.tea_at if self.tea_at is not None else duration // 2
        return timedelta(minutes=at) if 0 < at < duration else None


def config_from(extra: Mapping[str, str]) -> MeetingConfig:
    """KETTLE_TEA_BREAK_LONGER_THAN and KETTLE_TEA_BREAK_AT, in minutes; bad values keep defaults."""

    longer = extra_number(extra, "KETTLE_TEA_BREAK_LONGER_THAN")
    return MeetingConfig(
        tea_longer_than=longer if longer is not None else 60,
        tea_at=extra_number(extra, "KETTLE_TEA_BREAK_AT"),
    )


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


@dataclass(frozen=True)
class Occurrence:
    meeting_id: int
    day: date  # the local date in the meeting's zone: an occurrence's identity
    starts_at: datetime
    ends_at: datetime


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


# -- the calendar ----------------------------------------------------------------------------


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    return clock.zone(name, fallback)


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The nth (1–4, or -1 for the last) given weekday of a month."""
    if nth == -1:
        last = calendar.monthrange(year, month)[1]
        day = date(year, month, last)
        return day - timedelta(days=(day.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def monthly_rule(first: date) -> tuple[int, int]:
    """(weekday, nth) of a date: the 5th of a weekday becomes 'the last'."""
    nth = (first.day - 1) // 7 + 1
    return first.weekday(), (-1 if nth == 5 else nth)


def occurrence_day(meeting: Meeting, index: int) -> date:
    first = meeting.first_date
    if meeting.repeat == Repeat.WEEKLY:
        return first + timedelta(days=7 * index)
    if meeting.repeat == Repeat.FORTNIGHTLY:
        return first + timedelta(days=14 * index)
    if meeting.repeat == Repeat.MONTHLY:
        months = first.month - 1 + index
        weekday, nth = monthly_rule(first)
        return _nth_weekday(first.year + months // 12, months % 12 + 1, weekday, nth)
    return first


def occurrence_at(meeting: Meeting, day: date) -> Occurrence:
    local = datetime.combine(day, time(meeting.start_minute // 60, meeting.start_minute % 60))
    starts = local.replace(tzinfo=zone(meeting.tz)).astimezone(UTC)
    return Occurrence(meeting.id, day, starts, starts + timedelta(minutes=meeting.duration_minutes))


def _first_index_near(meeting: Meeting, day: date) -> int:
    days = (day - meeting.first_date).days
    if meeting.repeat == Repeat.WEEKLY:
        return max(0, days // 7 - 1)
    if meeting.repeat == Repeat.FORTNIGHTLY:
        return max(0, days // 14 - 1)
    if meeting.repeat == Repeat.MONTHLY:
        months = (day.year - meeting.first_date.year) * 12 + day.month - meeting.first_date.month
        return max(0, months - 1)
    return 0


def occurrences(meeting: Meeting, *, start: datetime, end: datetime) -> Iterator[Occurrence]:
    """Occurrences that overlap [start, end), in order."""
    index = _first_index_near(meeting, (start - timedelta(days=2)).date())
    while True:
        occ = occurrence_at(meeting, occurrence_day(meeting, index))
        if occ.starts_at >= end:
            return
        if occ.ends_at > start:
            yield occ
        if meeting.repeat == Repeat.NONE:
            return
        index += 1


def next_occurrence(meeting: Meeting, now: datetime) -> Occurrence | None:
    """The occurrence not yet over (the one the post shows), or None when the series is done."""
    return next(iter(occurrences(meeting, start=now, end=_horizon(meeting, now))), None)


def _horizon(meeting: Meeting, now: datetime) -> datetime:
    """Far enough ahead to find the next occurrence of any series, even one not yet begun."""
    first = occurrence_at(meeting, meeting.first_date).starts_at
    return max(now, first) + timedelta(days=400)


def upcoming_occurrences(meeting: Meeting, now: datetime, count: int) -> list[Occurrence]:
    found: list[Occurrence] = []
    for occ in occurrences(meeting, start=now, end=_horizon(meeting, now)):
        found.append(occ)
        if len(found) >= count:
            break
    return found


def describe_repeat(meeting: Meeting) -> str:
    if meeting.repeat == Repeat.WEEKLY:
        return f"every {meeting.first_date.strftime('%A')}"
    if meeting.repeat == Repeat.FORTNIGHTLY:
        return f"every other {meeting.first_date.strftime('%A')}"
    if meeting.repeat == Repeat.MONTHLY:
        weekday, nth = monthly_rule(meeting.first_date)
        word = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}[nth]
        return f"monthly on the {word} {calendar.day_name[weekday]}"
    return ""


# -- the form --------------------------------------------------------------------------------


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


# -- storing ---------------------------------------------------------------------------------


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
    meeting.title = draft.title
    meeting.first_date = draft.day
    meeting.start_minute = draft.start_minute
    meeting.duration_minutes = draft.duration_minutes
    meeting.video_url = draft.video_url
    meeting.agenda = draft.agenda
    meeting.channel_id = draft.channel_id
    meeting.repeat = draft.repeat


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


# -- RSVPs -----------------------------------------------------------------------------------


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


# -- what is due -----------------------------------------------------------------------------


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
        attendees = _attendees(session, meeting, occ.day)
        if attendees:
            out.append(Due(DueKind.PULSE, meeting.id, occ, attendees))
    summary_open = e + SUMMARY_AFTER <= now < e + SUMMARY_AFTER + SUMMARY_WINDOW
    if summary_open and meeting.convenor and _attendees(session, meeting, occ.day):
        out.append(Due(DueKind.SUMMARY, meeting.id, occ, (meeting.convenor.user_id,)))
    return out


def _attendees(session: Session, meeting: Meeting, day: date) -> tuple[str, ...]:
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


# -- the pulse -------------------------------------------------------------------------------


def record_pulse(
    session: Session,
    meeting: Meeting,
    member: Member,
    day: date,
    *,
    score: int | None = None,
    note: str | None = None,
) -> MeetingPulse:
    if score is not None and not 1 <= score <= 5:
        raise InvalidInput("Choose a number from 1 to 5.")
    row = session.scalar(
        select(MeetingPulse).where(
            MeetingPulse.meeting_id == meeting.id,
            MeetingPulse.occurrence == day,
            MeetingPulse.member_id == member.id,
        )
    )
    if row is None:
        row = MeetingPulse(meeting_id=meeting.id, occurrence=day, member_id=member.id, note="")
        session.add(row)
    if score is not None:
        row.score = score
    if note is not None:
        row.note = note.strip()[:AGENDA_MAX]
    session.flush()
    return row


@dataclass(frozen=True)
class PulseSummary:
    answers: int
    average: float | None
    spread: dict[int, int]
    notes: list[str]

    @property
    def too_few(self) -> bool:
        return not privacy.enough(self.answers)


def pulse_summary(session: Session, meeting_id: int, day: date) -> PulseSummary:
    """Scores and notes without names: the convenor learns how it went, not who said what; and
    nothing at all from fewer than `privacy.MIN_SHARED` answers, which could be told apart."""
    rows = list(
        session.scalars(
            select(MeetingPulse).where(
                MeetingPulse.meeting_id == meeting_id, MeetingPulse.occurrence == day
            )
        )
    )
    if not privacy.enough(len(rows)):
        return PulseSummary(len(rows), None, {}, [])
    scores = [r.score for r in rows if r.score is not None]
    spread = {n: scores.count(n) for n in range(1, 6)}
    notes = sorted(r.note for r in rows if r.note)
    average = round(sum(scores) / len(scores), 1) if scores else None
    return PulseSummary(len(rows), average, spread, notes)


# -- hooks for forget-me, my data and the health report ------------------------------------------


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
    for meeting in held:
        ended = [o for o in occurrences(meeting, start=since, end=now) if o.ends_at <= now]
        if not ended:
            continue
        days = [o.day for o in ended]
        present: dict[date, set[int]] = {day: set() for day in days}
        for day, member_id in session.execute(
            select(MeetingRsvp.occurrence, MeetingRsvp.member_id).where(
                MeetingRsvp.meeting_id == meeting.id,
                MeetingRsvp.occurrence.in_(days),
                MeetingRsvp.response == Rsvp.GOING,
            )
        ):
            present[day].add(member_id)
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
