"""What is due now: each member's weekly DM and its one reminder, and the convenors' summary
once a week has closed. Each has a delivery-ledger key, so each goes once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import (
    Checkin,
    CheckinOptOut,
    CheckinPause,
    Community,
    Delivery,
    DeliveryStatus,
    Member,
    MemberStatus,
)
from bot.services import clock, membership
from bot.services.checkins.schedule import (
    current_due,
    due_date_for_week,
    get_schedule,
    local_due,
    week_of,
    zone_of,
)


def checkin_key(member_id: int, week: str) -> str:
    return f"checkin:{member_id}:{week}"


def reminder_key(member_id: int, week: str) -> str:
    return f"checkin-reminder:{member_id}:{week}"


def summary_key(community_id: int, week: str, convenor_user_id: str) -> str:
    return f"checkin-summary:{community_id}:{week}:{convenor_user_id}"


def care_key(member_id: int, week: str, convenor_user_id: str) -> str:
    return f"checkin-care:{member_id}:{week}:{convenor_user_id}"


# -- who is due ------------------------------------------------------------------------------------


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
    # The members' distinct zones, not every member: at ten thousand members this is asked per
    # week on every tick.
    tzs = session.scalars(
        select(Member.tz)
        .where(Member.community_id == community.id, Member.status == MemberStatus.ACTIVE)
        .distinct()
    )
    zones = {clock.zone(tz, workspace_tz) for tz in tzs}
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


# -- who was sent the week's check-in --------------------------------------------------------------


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
    # The community's member ids, matched here: one bound parameter, where an IN list of every
    # member sent the DM would be 10,000 of them for PostgreSQL to parse and plan.
    return owners & set(
        session.scalars(select(Member.id).where(Member.community_id == community_id))
    )


def checkins_sent(session: Session, community_id: int, week: str) -> int:
    """How many members were sent the week's check-in (a week nobody was sent has no summary)."""
    return len(sent_to(session, community_id, week))
