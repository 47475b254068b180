"""The health report's figure from check-ins: the share of weekly DMs answered and shared."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Checkin, CheckinStatus, Delivery, DeliveryStatus, Member
from bot.services.checkins.answers import SHARED
from bot.services.duties import HealthFigures

RATE = "Check-ins shared"  # the health report's figure


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
