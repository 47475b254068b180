"""Who is in the Community of Practice, and in what role: members, admitting,
keeping in step with the CoP channel, finding a member a command names, leaving and removal."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import lock
from bot.errors import InvalidInput, NotAMember, NotFound
from bot.models import Community, DecisionKind, Member, MemberStatus, Role, utcnow
from bot.services import duties
from bot.services.membership.communities import is_curated
from bot.services.membership.decisions import log_decision
from bot.services.membership.guards import (
    LastConvenor,
    as_now,
    convenor_under_lock,
    require_convenor,
    still_member,
)


@dataclass(frozen=True)
class SlackProfile:
    user_id: str
    name: str
    tz: str | None
    is_bot: bool = False
    deleted: bool = False


def get_member(session: Session, community_id: int, user_id: str) -> Member | None:
    return session.scalar(
        select(Member).where(Member.community_id == community_id, Member.user_id == user_id)
    )


def active_members(session: Session, community_id: int) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .where(Member.community_id == community_id, Member.status == MemberStatus.ACTIVE)
            .order_by(Member.id)
        )
    )


def convenors(session: Session, community_id: int) -> list[Member]:
    """The active convenors, oldest first: asked of the database (a few rows, not the roster)."""
    return list(
        session.scalars(
            select(Member)
            .where(
                Member.community_id == community_id,
                Member.status == MemberStatus.ACTIVE,
                Member.role == Role.CONVENOR,
            )
            .order_by(Member.id)
        )
    )


def convenor_ids(session: Session, community_id: int) -> list[str]:
    """The Slack user ids of the community's active convenors, oldest first."""
    return [m.user_id for m in convenors(session, community_id)]


def keep_a_convenor(session: Session, community_id: int, member: Member) -> None:
    """Refuse what would leave the community without a convenor: `member` is its last one."""
    if member.is_convenor and len(convenors(session, community_id)) <= 1:
        raise LastConvenor()


def member_count(session: Session, community_id: int) -> int:
    """Members who count towards capacity: everyone active except convenors."""
    return active_count(session, community_id, role=Role.MEMBER)


def active_count(session: Session, community_id: int, *, role: Role | None = None) -> int:
    """How many are active in the community (of one role, if given), counted by the database."""
    query = (
        select(func.count())
        .select_from(Member)
        .where(Member.community_id == community_id, Member.status == MemberStatus.ACTIVE)
    )
    if role is not None:
        query = query.where(Member.role == role)
    return int(session.scalar(query) or 0)


def admit(
    session: Session,
    community: Community,
    profile: SlackProfile,
    *,
    role: Role | None = None,
) -> Member:
    """Make someone an active member (idempotent); a returning member keeps their history."""
    member = get_member(session, community.id, profile.user_id)
    if member is None:
        member = Member(community_id=community.id, user_id=profile.user_id)
        session.add(member)
        member.role = role or Role.MEMBER
    elif role is not None:
        member.role = role
    if member.status != MemberStatus.ACTIVE:
        member.status = MemberStatus.ACTIVE
        member.joined_at = utcnow()
        member.left_at = None
    member.name = profile.name or member.name or profile.user_id
    member.tz = profile.tz
    session.flush()
    return member


def seed_convenors(
    session: Session, community: Community, profiles: Iterable[SlackProfile]
) -> list[Member]:
    """A new community's first convenors, from KETTLE_CONVENORS. Only ever called in the unit of
    work that created the community: after that, convenors are appointed, stand down, are
    removed or ask to be forgotten from Slack, and a restart changes none of it."""
    return [admit(session, community, p, role=Role.CONVENOR) for p in profiles]


def refresh_profile(session: Session, member: Member, profile: SlackProfile) -> None:
    member.name = profile.name or member.name
    member.tz = profile.tz


def mark_left(session: Session, community: Community, user_id: str) -> Member | None:
    """Someone left the CoP channel: they stop being a member, unless they are a convenor."""
    member = get_member(session, community.id, user_id)
    if member is None or not member.is_active or member.role == Role.CONVENOR:
        return member
    member.status = MemberStatus.LEFT
    member.left_at = utcnow()
    session.flush()
    _ended(session, member)
    return member


def _ended(session: Session, member: Member) -> None:
    """What each capability does when a membership ends (a set member leaves the set)."""
    for hook in duties.LEAVE_HOOKS:
        hook(session, member)
    session.flush()


def sync_members(
    session: Session,
    community: Community,
    *,
    channel_members: Iterable[SlackProfile],
) -> tuple[int, int]:
    """Bring membership in step with the CoP channel at start; returns (added, removed).

    Before anyone has applied, everyone in the channel Kettle has never known is grandfathered in
    as a member. Once the community is curated (the first application), only approval makes a
    member: people in the channel who aren't members stay outsiders (see `unapproved_in_channel`).
    A start never renews a membership that ended (removed, left, stood down stays stood down):
    roles and ended memberships are decisions, made in Slack and logged, not undone by a restart.
    """
    present: dict[str, SlackProfile] = {
        p.user_id: p for p in channel_members if not p.is_bot and not p.deleted
    }
    before = {m.user_id for m in active_members(session, community.id)}
    curated = is_curated(community)
    for user_id, profile in present.items():
        existing = get_member(session, community.id, user_id)
        if existing is not None and existing.is_active:
            refresh_profile(session, existing, profile)
        elif existing is None and not curated:
            admit(session, community, profile)
    removed = 0
    if community.channel_id:
        for member in active_members(session, community.id):
            if member.user_id not in present and member.role != Role.CONVENOR:
                mark_left(session, community, member.user_id)
                removed += 1
    after = {m.user_id for m in active_members(session, community.id)}
    return len(after - before), removed


def unapproved_in_channel(
    session: Session, community: Community, channel_user_ids: Iterable[str]
) -> list[str]:
    """People in the CoP channel who are not active members (only meaningful once curated)."""
    if not is_curated(community):
        return []
    active = {m.user_id for m in active_members(session, community.id)}
    return [u for u in channel_user_ids if u not in active]


_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>\s*|^([UW][A-Z0-9]{2,})\b\s*")


def find_member(session: Session, community_id: int, text: str) -> tuple[Member, str]:
    """The member a command names (`<@U123>`, `U123` or `@Name`) and the rest of the text."""
    text = text.strip()
    match = _MENTION.match(text)
    if match:
        member = get_member(session, community_id, match.group(1) or match.group(2))
        if member is None or not member.is_active:
            raise NotFound("They aren't a member of the Community of Practice.")
        return member, text[match.end() :].strip()
    lowered = text.lstrip("@").lower()
    best: Member | None = None
    for member in active_members(session, community_id):
        name = member.name.lower()
        if (
            name
            and lowered.startswith(name)
            and (len(lowered) == len(name) or not lowered[len(name)].isalnum())
            and (best is None or len(name) > len(best.name))
        ):
            best = member
    if best is None:
        raise NotFound("I couldn't tell which member you mean; mention them, like @name.")
    return best, text.lstrip("@")[len(best.name) :].strip()


def _end_membership(
    session: Session,
    community: Community,
    member: Member,
    kind: DecisionKind,
    *,
    actor: Member,
    reason: str | None = None,
    now: datetime,
) -> None:
    """End an active membership (never the last convenor's) and log how it ended."""
    keep_a_convenor(session, community.id, member)
    member.status = MemberStatus.LEFT
    member.role = Role.MEMBER
    member.left_at = now
    session.flush()
    _ended(session, member)
    log_decision(
        session,
        community,
        kind,
        subject_user_id=member.user_id,
        subject_name=member.name,
        actor=actor,
        reason=reason,
        now=now,
    )


def remove(
    session: Session,
    community: Community,
    target: Member,
    *,
    reason: str,
    actor: Member,
    now: datetime,
) -> None:
    require_convenor(actor)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Please give a reason, e.g. `/cop remove @name moved on from the role`.")
    if target.id == actor.id:
        raise InvalidInput("To leave yourself, use `/cop leave`.")
    convenor_under_lock(session, community, actor)
    target = still_member(session, target)
    _end_membership(
        session, community, target, DecisionKind.REMOVED, actor=actor, reason=reason, now=now
    )


def leave(session: Session, community: Community, member: Member, *, now: datetime) -> None:
    lock(session, community)
    current = as_now(session, member)
    if current is None or not current.is_active:
        raise NotAMember()
    _end_membership(session, community, current, DecisionKind.LEFT, actor=current, now=now)


def left_channel(
    session: Session, community: Community, user_id: str, *, now: datetime
) -> Member | None:
    """Someone left the CoP channel by themselves: their membership ends (convenors stay)."""
    member = get_member(session, community.id, user_id)
    was_active = member is not None and member.is_active
    member = mark_left(session, community, user_id)
    if member is not None and was_active and not member.is_active:
        log_decision(
            session,
            community,
            DecisionKind.LEFT,
            subject_user_id=user_id,
            subject_name=member.name,
            actor=member,
            reason="Left the CoP channel",
            now=now,
        )
    return member
