"""A community's check-in rhythm (the local day and time, the reminder, the window) and where
each member's week falls in their own time zone, DST-safe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.errors import InvalidInput
from bot.models import Community, Member
from bot.services import clock, membership

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
REMINDER_CHOICES = (4, 8, 24, 48)
WINDOW_CHOICES = (24, 48, 72, 96, 120, 144)


@dataclass(frozen=True)
class Schedule:
    """A community's check-in rhythm: the local weekday and time, the reminder and the window."""

    weekday: int = 0  # Monday
    at: time = time(9, 30)
    reminder_hours: int = 24
    window_hours: int = 72
    enabled: bool = True

    def to_json(self) -> dict[str, object]:
        return {
            "weekday": self.weekday,
            "time": self.at.strftime("%H:%M"),
            "reminder_hours": self.reminder_hours,
            "window_hours": self.window_hours,
            "enabled": self.enabled,
        }

    @property
    def label(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.at.strftime('%H:%M')}"


def get_schedule(community: Community) -> Schedule:
    raw = (community.settings or {}).get("checkins") or {}
    try:
        hh, mm = str(raw.get("time", "09:30")).split(":")
        return Schedule(
            weekday=int(raw.get("weekday", 0)) % 7,
            at=time(int(hh), int(mm)),
            reminder_hours=int(raw.get("reminder_hours", 24)),
            window_hours=int(raw.get("window_hours", 72)),
            enabled=bool(raw.get("enabled", True)),
        )
    except (TypeError, ValueError):
        return Schedule()


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def validate_schedule(
    *,
    weekday: str | None,
    at: str | None,
    reminder_hours: str | None,
    window_hours: str | None,
    enabled: bool,
    field_ids: dict[str, str],
) -> Schedule:
    errors: dict[str, str] = {}
    day = _int(weekday)
    day = day if day is not None and day < 7 else None
    if day is None:
        errors[field_ids["weekday"]] = "Choose a day of the week."
    parsed: time | None = None
    try:
        hh, mm = (at or "").split(":")
        parsed = time(int(hh), int(mm))
    except ValueError:
        errors[field_ids["time"]] = "Choose a time, like 09:30."
    reminder = _int(reminder_hours) or 0
    window = _int(window_hours) or 0
    if reminder not in REMINDER_CHOICES:
        errors[field_ids["reminder"]] = "Choose when to remind."
    if window not in WINDOW_CHOICES:
        errors[field_ids["window"]] = "Choose when the week closes."
    elif reminder >= window:
        errors[field_ids["reminder"]] = "The reminder must come before the week closes."
    if errors:
        raise InvalidInput("Please check the settings.", errors)
    return Schedule(
        weekday=day or 0,
        at=parsed or time(9, 30),
        reminder_hours=reminder,
        window_hours=window,
        enabled=enabled,
    )


def save_schedule(session: Session, community: Community, schedule: Schedule) -> None:
    # A new dict, so the JSON column sees the change.
    community.settings = {**(community.settings or {}), "checkins": schedule.to_json()}
    session.flush()


# -- time ------------------------------------------------------------------------------------------


def zone_of(member: Member, workspace_tz: str) -> ZoneInfo:
    """The member's own Slack time zone, or the workspace's when Slack doesn't know it."""
    return clock.zone(member.tz, workspace_tz)


def local_due(schedule: Schedule, zone: ZoneInfo, day: date) -> datetime:
    """The wall-clock time on `day` in `zone`, as a UTC instant. A time skipped by a clock change
    (02:30 on a spring-forward night) moves forward by the gap; a repeated one is the first."""
    naive = datetime.combine(day, schedule.at)
    return naive.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))


def due_date_for_week(schedule: Schedule, week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), schedule.weekday + 1)


def week_of(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def current_due(schedule: Schedule, zone: ZoneInfo, now: datetime) -> tuple[str, datetime, date]:
    """This local week's check-in for someone in `zone`: (week, due instant, local due date).
    The check-in day is the latest scheduled weekday on or before the member's today."""
    today = now.astimezone(zone).date()
    day = today - timedelta(days=(today.weekday() - schedule.weekday) % 7)
    return week_of(day), local_due(schedule, zone, day), day


def local_today(member: Member, workspace_tz: str, now: datetime) -> date:
    return clock.local_date(now, member.tz, workspace_tz)


def week_for_member(
    session: Session, *, member: Member, community: Community, now: datetime, workspace_tz: str
) -> str:
    """The week a check-in made now counts for: the one whose DM is this member's latest (the
    scheduled day on or before their own today), as the DM's buttons and the summary count it."""
    week, _due_at, _day = current_due(get_schedule(community), zone_of(member, workspace_tz), now)
    return week


def enabled_communities(session: Session) -> list[Community]:
    return [c for c in membership.communities(session) if get_schedule(c).enabled]
