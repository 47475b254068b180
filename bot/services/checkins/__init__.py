"""Weekly check-ins: when each member is due (in their own time zone), what they said, what the
convenors hear (only what was shared with them), and the care nudge a member can ask for."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from bot import privacy
from bot.errors import InvalidInput
from bot.models import (
    Checkin,
    CheckinOptOut,
    CheckinPause,
    CheckinStatus,
    Community,
    Delivery,
    DeliveryStatus,
    Member,
    MemberStatus,
    Visibility,
)
from bot.services import clock, membership
from bot.services.duties import HealthFigures

# The choices that let the convenors read a check-in; "just me" is the member's alone.
SHARED = tuple(v for v in Visibility if v.convenors_may_see)
RATE = "Check-ins shared"  # the health report's figure
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TEXT_MAX = 1000
PAUSE_MAX_DAYS = 366
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


# -- time ---------------------------------------------------------------------------------------


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


def checkin_key(member_id: int, week: str) -> str:
    return f"checkin:{member_id}:{week}"


def reminder_key(member_id: int, week: str) -> str:
    return f"checkin-reminder:{member_id}:{week}"


def summary_key(community_id: int, week: str, convenor_user_id: str) -> str:
    return f"checkin-summary:{community_id}:{week}:{convenor_user_id}"


def care_key(member_id: int, week: str, convenor_user_id: str) -> str:
    return f"checkin-care:{member_id}:{week}:{convenor_user_id}"


# -- what is due --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One message to send: who, for which week, under which ledger key."""

    key: str
    member_id: int
    user_id: str
    name: str
    week: str
    due_at: datetime
    day: date  # the member's local check-in date


def _answered_weeks(session: Session, member_ids: list[int], weeks: set[str]) -> set[tuple]:
    if not member_ids or not weeks:
        return set()
    rows = session.execute(
        select(Checkin.member_id, Checkin.week).where(Checkin.week.in_(sorted(weeks)))
    ).all()
    wanted = set(member_ids)
    return {(m, w) for m, w in rows if m in wanted}


def _offs(session: Session, member_ids: list[int]) -> set[int]:
    wanted = set(member_ids)
    return {m for m in session.scalars(select(CheckinOptOut.member_id)) if m in wanted}


def _pauses(session: Session, member_ids: list[int]) -> dict[int, date]:
    rows = session.execute(select(CheckinPause.member_id, CheckinPause.until)).all()
    wanted = set(member_ids)
    return {m: u for m, u in rows if m in wanted}


def sent_keys(session: Session, keys: list[str]) -> set[str]:
    done: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        done.update(
            session.scalars(
                select(Delivery.key).where(
                    Delivery.key.in_(chunk), Delivery.status == DeliveryStatus.SENT
                )
            )
        )
    return done


def due_checkins(
    session: Session, *, community: Community, now: datetime, workspace_tz: str
) -> list[Due]:
    """Members whose check-in time has come today (their own today) and who have not yet had it,
    answered or paused. Catching up after downtime is allowed until the end of their local day."""
    schedule = get_schedule(community)
    if not schedule.enabled:
        return []
    members = membership.active_members(session, community.id)
    candidates: list[Due] = []
    for member in members:
        zone = zone_of(member, workspace_tz)
        week, due_at, day = current_due(schedule, zone, now)
        if now < due_at or now.astimezone(zone).date() != day:
            continue
        candidates.append(
            Due(
                checkin_key(member.id, week),
                member.id,
                member.user_id,
                member.name,
                week,
                due_at,
                day,
            )
        )
    return _drop_done(session, candidates)


def _drop_done(session: Session, candidates: list[Due]) -> list[Due]:
    """Every check-in job's one filter: not sent already, not answered, not paused, not off."""
    ids = [d.member_id for d in candidates]
    answered = _answered_weeks(session, ids, {d.week for d in candidates})
    pauses = _pauses(session, ids)
    off = _offs(session, ids)
    sent = sent_keys(session, [d.key for d in candidates])
    return [
        d
        for d in candidates
        if d.key not in sent
        and d.member_id not in off
        and (d.member_id, d.week) not in answered
        and not (d.member_id in pauses and pauses[d.member_id] >= d.day)
    ]


def window_close(session: Session, community: Community, week: str, workspace_tz: str) -> datetime:
    """The week closes `window_hours` after the last member's check-in time (the most westerly)."""
    schedule = get_schedule(community)
    day = due_date_for_week(schedule, week)
    zones = {zone_of(m, workspace_tz) for m in membership.active_members(session, community.id)}
    zones.add(ZoneInfo(workspace_tz))
    latest = max(local_due(schedule, zone, day) for zone in zones)
    return latest + timedelta(hours=schedule.window_hours)


def due_reminders(
    session: Session, *, community: Community, now: datetime, workspace_tz: str
) -> list[Due]:
    """One reminder, after `reminder_hours`, to members who got this week's DM and haven't
    answered, while the week is still open."""
    schedule = get_schedule(community)
    if not schedule.enabled:
        return []
    candidates: list[tuple[Due, str]] = []
    closes: dict[str, datetime] = {}
    for member in membership.active_members(session, community.id):
        zone = zone_of(member, workspace_tz)
        week, due_at, day = current_due(schedule, zone, now)
        if week not in closes:
            closes[week] = window_close(session, community, week, workspace_tz)
        if not due_at + timedelta(hours=schedule.reminder_hours) <= now < closes[week]:
            continue
        due = Due(
            reminder_key(member.id, week), member.id, member.user_id, member.name, week, now, day
        )
        candidates.append((due, checkin_key(member.id, week)))
    delivered = sent_keys(session, [k for _, k in candidates])
    return _drop_done(session, [d for d, k in candidates if k in delivered])


@dataclass(frozen=True)
class SummaryDue:
    community_id: int
    week: str
    convenors: list[tuple[str, str]]  # (user id, key)


def due_summaries(
    session: Session, *, community: Community, now: datetime, workspace_tz: str
) -> list[SummaryDue]:
    """The convenors' summary for a week whose window has closed (within the following week)."""
    schedule = get_schedule(community)
    if not schedule.enabled:
        return []
    today = now.astimezone(ZoneInfo(workspace_tz)).date()
    out = []
    for back in (0, 7, 14):
        week = week_of(today - timedelta(days=back))
        close = window_close(session, community, week, workspace_tz)
        if close <= now < close + timedelta(days=7) and checkins_sent(session, community.id, week):
            keys = [
                (u, summary_key(community.id, week, u))
                for u in membership.convenor_ids(session, community.id)
            ]
            sent = sent_keys(session, [k for _, k in keys])
            todo = [(u, k) for u, k in keys if k not in sent]
            if todo:
                out.append(SummaryDue(community.id, week, todo))
    return out


# -- answers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    mood: int
    on_mind: str = ""
    win: str = ""
    challenge: str = ""
    support: str = ""
    tell_convenors: bool = False
    visibility: Visibility = Visibility.PRIVATE


def validate_answer(
    *,
    mood: str | None,
    on_mind: str | None,
    win: str | None,
    challenge: str | None,
    support: str | None,
    tell_convenors: bool,
    visibility: str | None,
    field_ids: dict[str, str],
) -> Answer:
    errors: dict[str, str] = {}
    level = _int(mood)
    level = level if level is not None and 1 <= level <= 5 else None
    if level is None:
        errors[field_ids["mood"]] = "Choose how you are, from 1 to 5."
    texts = {"on_mind": on_mind, "win": win, "challenge": challenge, "support": support}
    for name, value in texts.items():
        if len((value or "").strip()) > TEXT_MAX:
            errors[field_ids[name]] = f"Up to {TEXT_MAX} characters, please."
    try:
        seen_by = Visibility(visibility or "")
    except ValueError:
        errors[field_ids["visibility"]] = "Choose who may see this."
        seen_by = Visibility.PRIVATE
    if errors:
        raise InvalidInput("Please check the form.", errors)
    return Answer(
        mood=level or 3,
        on_mind=(on_mind or "").strip(),
        win=(win or "").strip(),
        challenge=(challenge or "").strip(),
        support=(support or "").strip(),
        tell_convenors=tell_convenors,
        visibility=seen_by,
    )


def get_checkin(session: Session, member_id: int, week: str) -> Checkin | None:
    return session.scalar(
        select(Checkin).where(Checkin.member_id == member_id, Checkin.week == week)
    )


def record_answer(session: Session, *, member: Member, week: str, answer: Answer) -> Checkin:
    """One check-in per member per week: a second answer updates the first."""
    checkin = get_checkin(session, member.id, week)
    if checkin is None:
        checkin = Checkin(community_id=member.community_id, member_id=member.id, week=week)
        session.add(checkin)
    checkin.status = CheckinStatus.ANSWERED
    checkin.mood = answer.mood
    checkin.on_mind = answer.on_mind
    checkin.win = answer.win
    checkin.challenge = answer.challenge
    checkin.support = answer.support
    checkin.tell_convenors = answer.tell_convenors
    checkin.visibility = answer.visibility
    session.flush()
    return checkin


def record_skip(session: Session, *, member: Member, week: str) -> tuple[Checkin, bool]:
    """Skipping never overwrites an answer already given. Returns the week's check-in and
    whether this press skipped it (False when it was already answered or skipped)."""
    checkin = get_checkin(session, member.id, week)
    if checkin is not None:
        return checkin, False
    checkin = Checkin(
        community_id=member.community_id,
        member_id=member.id,
        week=week,
        status=CheckinStatus.SKIPPED,
    )
    session.add(checkin)
    session.flush()
    return checkin, True


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
    row = session.get(CheckinPause, member.id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


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
    row = session.get(CheckinOptOut, member.id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def is_off(session: Session, member_id: int) -> bool:
    return session.get(CheckinOptOut, member_id) is not None


def week_for_member(
    session: Session, *, member: Member, community: Community, now: datetime, workspace_tz: str
) -> str:
    """The week a check-in made now counts for: the one whose DM is this member's latest (the
    scheduled day on or before their own today), as the DM's buttons and the summary count it."""
    week, _due_at, _day = current_due(get_schedule(community), zone_of(member, workspace_tz), now)
    return week


def recent_checkins(session: Session, member_id: int, *, limit: int = 6) -> list[Checkin]:
    return list(
        session.scalars(
            select(Checkin)
            .where(Checkin.member_id == member_id)
            .order_by(Checkin.week.desc())
            .limit(limit)
        )
    )


# -- what convenors hear ------------------------------------------------------------------------


def sent_to(session: Session, community_id: int, week: str) -> set[int]:
    """The members of this community who were sent the week's check-in DM."""
    keys = session.scalars(
        select(Delivery.key).where(
            Delivery.status == DeliveryStatus.SENT, Delivery.key.like(f"checkin:%:{week}")
        )
    ).all()
    owners = {int(k.split(":")[1]) for k in keys if k.split(":")[1].isdigit()}
    if not owners:
        return set()
    return set(
        session.scalars(
            select(Member.id).where(Member.community_id == community_id, Member.id.in_(owners))
        )
    )


def checkins_sent(session: Session, community_id: int, week: str) -> int:
    """How many members were sent the week's check-in (a week nobody was sent has no summary)."""
    return len(sent_to(session, community_id, week))


@dataclass
class Summary:
    """What the convenors may know of a week: only what members shared with them. Nothing of a
    "just me" answer, not even that it was given, so no count can be worked back to anyone."""

    week: str
    sent: int  # members asked this week: sent the DM, or who shared anyway
    moods: Counter[int] | None  # the spread of shared moods; None when too few shared
    support: list[Checkin] = field(default_factory=list)  # shared and asked for support, first
    shared: list[Checkin] = field(default_factory=list)  # the rest of what was shared

    @property
    def shared_count(self) -> int:
        return len(self.support) + len(self.shared)


def asked_for_support(checkin: Checkin) -> bool:
    """Ticking "Tell the convenors I could use a hand" (or an earlier form's call box), or saying
    what support would help, put a shared answer first in the summary."""
    return checkin.status == CheckinStatus.ANSWERED and (
        checkin.tell_convenors or checkin.wants_call or bool((checkin.support or "").strip())
    )


def summarise(session: Session, *, community: Community, week: str) -> Summary:
    """Counts, the mood spread, words and names: all from shared answers only; the spread only
    when at least `privacy.MIN_SHARED` shared."""
    shared = list(
        session.scalars(
            select(Checkin)
            .options(selectinload(Checkin.member))
            .where(
                Checkin.community_id == community.id,
                Checkin.week == week,
                Checkin.status == CheckinStatus.ANSWERED,
                Checkin.visibility.in_(SHARED),
            )
            .order_by(Checkin.id)
        )
    )
    asked = sent_to(session, community.id, week) | {c.member_id for c in shared}
    moods = Counter(c.mood for c in shared if c.mood)
    summary = Summary(
        week=week,
        sent=len(asked),
        moods=moods if privacy.enough(sum(moods.values())) else None,
    )
    for checkin in shared:
        (summary.support if asked_for_support(checkin) else summary.shared).append(checkin)
    return summary


@dataclass(frozen=True)
class CareSignal:
    member_id: int
    name: str
    week: str


def care_signal(session: Session, checkin: Checkin) -> CareSignal | None:
    """A kind nudge goes to the convenors only when the member asked for one: they ticked "Tell
    the convenors I could use a hand — they'll get a DM with my name". Nothing else sends one,
    not a low mood, not words about support; the box is honoured whoever may read the answers,
    and the nudge carries the name alone."""
    if checkin.status != CheckinStatus.ANSWERED or not checkin.tell_convenors:
        return None
    member = session.get(Member, checkin.member_id)
    if member is None or member.status != MemberStatus.ACTIVE:
        return None
    return CareSignal(member.id, member.name, checkin.week)


def care_signals(session: Session, *, community: Community, weeks: list[str]) -> list[CareSignal]:
    checkins = session.scalars(
        select(Checkin).where(
            Checkin.community_id == community.id,
            Checkin.week.in_(weeks),
            Checkin.tell_convenors.is_(True),
        )
    )
    return [s for c in checkins if (s := care_signal(session, c)) is not None]


def enabled_communities(session: Session) -> list[Community]:
    return [c for c in membership.communities(session) if get_schedule(c).enabled]


# -- hooks for forget-me, my data and the health report ------------------------------------------


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


def health_figures(
    session: Session, community_id: int, since: datetime, now: datetime
) -> HealthFigures:
    """Check-ins shared: of the check-in DMs sent in the window to this community's members, the
    share answered and shared with the convenors. A shared answer counts as its author's activity
    (never what it said); a "just me" answer is the member's alone and counts nowhere, in no
    rate and no tier."""
    figures = HealthFigures()
    members = dict(
        session.execute(
            select(Member.id, Member.user_id).where(Member.community_id == community_id)
        ).all()
    )
    answers = session.execute(
        select(Checkin.member_id, Checkin.week, Checkin.updated_at).where(
            Checkin.community_id == community_id,
            Checkin.status == CheckinStatus.ANSWERED,
            Checkin.visibility.in_(SHARED),
            Checkin.updated_at >= since,
            Checkin.updated_at < now,
        )
    ).all()
    for member_id, _week, when in answers:
        user_id = members.get(member_id)
        if user_id is None:
            continue
        figures.activity[user_id] = figures.activity.get(user_id, 0) + 1
        if user_id not in figures.last_active or when > figures.last_active[user_id]:
            figures.last_active[user_id] = when
    sent_keys = session.scalars(
        select(Delivery.key).where(
            Delivery.key.like("checkin:%"),
            Delivery.status == DeliveryStatus.SENT,
            Delivery.created_at >= since,
            Delivery.created_at < now,
        )
    ).all()
    sent: set[tuple[int, str]] = set()
    for key in sent_keys:
        _prefix, owner, week = key.split(":", 2)
        if owner.isdigit() and int(owner) in members:
            sent.add((int(owner), week))
    if sent:
        shared = session.execute(
            select(Checkin.member_id, Checkin.week).where(
                Checkin.community_id == community_id,
                Checkin.status == CheckinStatus.ANSWERED,
                Checkin.visibility.in_(SHARED),
                Checkin.member_id.in_({m for m, _w in sent}),
            )
        ).all()
        done = {(m, w) for m, w in shared} & sent
        figures.rates[RATE] = len(done) / len(sent)
        figures.counted[RATE] = len({m for m, _w in done})
        figures.notes.append(f"{len(sent)} weekly check-ins were sent in this period.")
    return figures
