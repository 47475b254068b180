"""Rounds' figures for the health report: participation under members' own names only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.models import Round, RoundKind
from bot.services.duties import HealthFigures
from bot.services.membership import active_members
from bot.services.rounds.method import STARTED


def health_figures(
    session: Session, community_id: int, since: datetime, now: datetime
) -> HealthFigures:
    """Round participation: across the rounds started in the window, the share of those who
    could contribute (the set's members, or every active member) who did under their name.
    Named contributions are activity too. An anonymous one counts nowhere: even in the rate it
    would tell, beside the named ones, whether its author was someone who had not spoken."""
    figures = HealthFigures()
    active = {m.id: m.user_id for m in active_members(session, community_id)}
    by_user = {user_id: member_id for member_id, user_id in active.items()}
    rounds = list(
        session.scalars(
            select(Round)
            .options(selectinload(Round.contributions))  # one statement for every round
            .where(
                Round.community_id == community_id,
                Round.status.in_(STARTED),
                Round.started_at >= since,
                Round.started_at < now,
                Round.set_id.is_(None),  # what is said in a standing set stays in the set
            )
        )
    )
    took_part = possible = 0
    named: set[int] = set()
    for round_ in rounds:
        if round_.kind == RoundKind.ALS and round_.set_members:
            eligible = {by_user[u] for u in round_.set_members if u in by_user}
        else:
            eligible = set(active)
        contributors: set[int] = set()
        for c in round_.contributions:
            if c.member_id is None or c.member_id not in active or c.anonymous or c.awaiting:
                continue
            contributors.add(c.member_id)
            user_id = active[c.member_id]
            figures.activity[user_id] = figures.activity.get(user_id, 0) + 1
            if user_id not in figures.last_active or c.created_at > figures.last_active[user_id]:
                figures.last_active[user_id] = c.created_at
        took_part += len(contributors & eligible)
        possible += len(eligible)
        named |= contributors & eligible
    if possible:
        figures.rates["Round participation"] = took_part / possible
        figures.counted["Round participation"] = len(named)
    return figures
