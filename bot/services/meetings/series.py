"""When a meeting's occurrences fall: weekly, fortnightly or monthly repeats in the convenor's
zone, DST-safe.

Times are stored as a local date and wall-clock minute in the meeting's zone; each occurrence's
UTC instant is computed from them, so "18:00 on the first Tuesday" stays 18:00 across DST.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.models import Meeting, Repeat
from bot.services import clock


@dataclass(frozen=True)
class Occurrence:
    meeting_id: int
    day: date  # the local date in the meeting's zone: an occurrence's identity
    starts_at: datetime
    ends_at: datetime


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
