"""Convenors appoint another convenor or stand one down; the group always keeps one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.models import Community, DecisionKind, Member, Role
from bot.services.membership.decisions import log_decision
from bot.services.membership.guards import convenor_under_lock, still_member
from bot.services.membership.roster import keep_a_convenor


def appoint(
    session: Session, community: Community, target: Member, *, actor: Member, now: datetime
) -> bool:
    """Make a member a convenor; False if they already are one."""
    return _change_role(session, community, target, Role.CONVENOR, actor=actor, now=now)


def stand_down(
    session: Session, community: Community, target: Member, *, actor: Member, now: datetime
) -> bool:
    """A convenor becomes a member again; False if they weren't one. The last one cannot."""
    return _change_role(session, community, target, Role.MEMBER, actor=actor, now=now)


_LOGGED_AS = {Role.CONVENOR: DecisionKind.APPOINTED, Role.MEMBER: DecisionKind.STOOD_DOWN}


def _change_role(
    session: Session,
    community: Community,
    target: Member,
    role: Role,
    *,
    actor: Member,
    now: datetime,
) -> bool:
    """Give `target` the role, by a convenor under the community's lock, and log it; False when
    they have it already. Someone standing down must not be the group's last convenor."""
    convenor_under_lock(session, community, actor)
    target = still_member(session, target)
    if target.role == role:
        return False
    if role != Role.CONVENOR:
        keep_a_convenor(session, community.id, target)
    target.role = role
    log_decision(
        session,
        community,
        _LOGGED_AS[role],
        subject_user_id=target.user_id,
        subject_name=target.name,
        actor=actor,
        now=now,
    )
    return True
