"""The CoP's health: participation tiers, stories per month, the other capabilities' rates, new
and quiet members; every figure only from what members did where convenors could see it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import privacy
from bot.models import Community, Delivery, DeliveryStatus, Member, Story
from bot.services import duties, membership

log = logging.getLogger(__name__)


CORE, ACTIVE, PERIPHERAL = "core", "active", "peripheral"
TIERS = (CORE, ACTIVE, PERIPHERAL)
# Figures other capabilities supply; the report says "not measured yet" until one does.
EXPECTED_RATES = ("Check-ins shared", "Round participation", "Meeting participation")


@dataclass
class HealthReport:
    community_name: str
    now: datetime
    window_days: int
    member_count: int
    tiers: dict[str, list[str]]
    stories_by_month: list[tuple[str, dict[str, int]]]
    rates: dict[str, float | None]
    new_members: list[str]
    quiet_members: list[str]
    notes: list[str]
    too_few: list[str] = field(default_factory=list)  # rates over too few people to show


def _month_starts(now: datetime, months: int) -> list[datetime]:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [first]
    for _ in range(months - 1):
        prev = starts[-1]
        starts.append(
            prev.replace(year=prev.year - 1, month=12)
            if prev.month == 1
            else prev.replace(month=prev.month - 1)
        )
    return list(reversed(starts))


def _stories_figures(
    session: Session, community_id: int, since: datetime, now: datetime
) -> duties.HealthFigures:
    """Kettle's own figure: stories told (and call-outs answered) by members."""
    figures = duties.HealthFigures()
    rows = session.execute(
        select(Member.user_id, Story.created_at)
        .join(Story, Story.author_id == Member.id)
        .where(
            Story.community_id == community_id, Story.created_at >= since, Story.created_at < now
        )
    )
    for user_id, created in rows:
        figures.activity[user_id] = figures.activity.get(user_id, 0) + 1
        if created > figures.last_active.get(user_id, since):
            figures.last_active[user_id] = created
    return figures


def _deliveries_note(session: Session, community_id: int, since: datetime) -> str | None:
    """How many check-ins this community's members were sent (keys are `checkin:<member>:…`)."""
    members = {
        str(m)
        for m in session.scalars(select(Member.id).where(Member.community_id == community_id))
    }
    keys = session.scalars(
        select(Delivery.key).where(
            Delivery.key.like("checkin:%"),
            Delivery.status == DeliveryStatus.SENT,
            Delivery.created_at >= since,
        )
    )
    sent = sum(1 for key in keys if key.split(":")[1] in members)
    return f"{sent} weekly check-ins were sent in this period." if sent else None


def sent_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of these reports the ledger has sent: a monthly report goes once to each convenor."""
    if not keys:
        return set()
    return set(
        session.scalars(
            select(Delivery.key).where(
                Delivery.key.in_(keys), Delivery.status == DeliveryStatus.SENT
            )
        )
    )


def health_report(
    session: Session,
    community: Community,
    *,
    now: datetime,
    window_days: int = 90,
    core_min: int = 4,
    new_days: int = 30,
    quiet_days: int = 45,
    months: int = 6,
) -> HealthReport:
    """Participation tiers, stories per month by kind, others' rates, new and quiet members."""
    since = now - timedelta(days=window_days)
    figures = [_stories_figures(session, community.id, since, now)]
    notes: list[str] = []
    for provider in duties.HEALTH_PROVIDERS:
        try:
            figures.append(provider(session, community.id, since, now))
        except Exception:
            log.exception("health provider %r failed", provider)
    activity: dict[str, int] = {}
    last_active: dict[str, datetime] = {}
    rates: dict[str, float | None] = dict.fromkeys(EXPECTED_RATES)
    too_few: list[str] = []
    for fig in figures:
        for user_id, count in fig.activity.items():
            activity[user_id] = activity.get(user_id, 0) + count
        for user_id, when in fig.last_active.items():
            if user_id not in last_active or when > last_active[user_id]:
                last_active[user_id] = when
        for name, value in fig.rates.items():
            if value is not None and not privacy.enough(fig.counted.get(name, 0)):
                rates[name] = None
                too_few.append(name)
            else:
                rates[name] = value
        notes.extend(fig.notes)
    if rates.get("Check-ins shared") is None and "Check-ins shared" not in too_few:
        note = _deliveries_note(session, community.id, since)
        if note:
            notes.append(note)

    members = membership.active_members(session, community.id)
    tiers: dict[str, list[str]] = {tier: [] for tier in TIERS}
    new_members: list[str] = []
    quiet: list[str] = []
    for member in members:
        count = activity.get(member.user_id, 0)
        tier = CORE if count >= core_min else ACTIVE if count > 0 else PERIPHERAL
        tiers[tier].append(member.name or member.user_id)
        if member.joined_at >= now - timedelta(days=new_days):
            new_members.append(member.name or member.user_id)
        elif count > 0 and last_active.get(member.user_id, now) < now - timedelta(days=quiet_days):
            quiet.append(member.name or member.user_id)

    starts = _month_starts(now, months)
    by_month: list[tuple[str, dict[str, int]]] = []
    rows = session.execute(
        select(Story.kind, Story.created_at).where(
            Story.community_id == community.id,
            Story.created_at >= starts[0],
            Story.created_at < now,
        )
    ).all()
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else now
        counts: dict[str, int] = {}
        for kind, created in rows:
            if start <= created < end:
                counts[kind.value] = counts.get(kind.value, 0) + 1
        by_month.append((start.strftime("%b %Y"), counts))
    return HealthReport(
        community_name=community.name,
        now=now,
        window_days=window_days,
        member_count=len(members),
        tiers=tiers,
        stories_by_month=by_month,
        rates=rates,
        new_members=new_members,
        quiet_members=quiet,
        notes=notes,
        too_few=too_few,
    )
