"""The decision log: every membership decision, who made it and why, as `/cop log` shows it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Application, Community, Decision, DecisionKind, Member, utcnow


def log_decision(
    session: Session,
    community: Community,
    kind: DecisionKind,
    *,
    subject_user_id: str | None,
    subject_name: str,
    actor: Member | None,
    reason: str | None = None,
    application: Application | None = None,
    now: datetime | None = None,
) -> Decision:
    decision = Decision(
        community_id=community.id,
        kind=kind,
        subject_user_id=subject_user_id,
        subject_name=subject_name,
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else subject_name,
        reason=reason,
        application_id=application.id if application else None,
        created_at=now or utcnow(),
    )
    session.add(decision)
    session.flush()
    return decision


def decision_log(session: Session, community_id: int, *, limit: int = 25) -> list[Decision]:
    return list(
        session.scalars(
            select(Decision)
            .where(Decision.community_id == community_id)
            .order_by(Decision.created_at.desc(), Decision.id.desc())
            .limit(limit)
        )
    )
