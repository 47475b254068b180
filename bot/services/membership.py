"""Who is in the Community of Practice, and in what role."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import Community, Member, MemberStatus, Role, utcnow

DEFAULT_SLUG = "default"


@dataclass(frozen=True)
class Viewer:
    """The person behind a request, resolved once per request; plain data, safe across threads."""

    user_id: str
    community_id: int | None
    member_id: int | None = None
    role: Role | None = None
    name: str = ""

    @property
    def is_member(self) -> bool:
        return self.member_id is not None

    @property
    def is_convenor(self) -> bool:
        return self.member_id is not None and self.role == Role.CONVENOR


@dataclass(frozen=True)
class SlackProfile:
    user_id: str
    name: str
    tz: str | None
    is_bot: bool = False
    deleted: bool = False


def ensure_community(session: Session, settings: Settings) -> Community:
    """The community configured from the environment, created on first start and kept in step."""
    community = session.scalar(select(Community).where(Community.slug == DEFAULT_SLUG))
    if community is None:
        community = Community(slug=DEFAULT_SLUG, name=settings.community_name, settings={})
        session.add(community)
    community.name = settings.community_name
    community.channel_id = settings.cop_channel
    community.movement_channel_id = settings.movement_channel
    session.flush()
    return community


def communities(session: Session) -> list[Community]:
    return list(session.scalars(select(Community).order_by(Community.id)))


def community_by_id(session: Session, community_id: int) -> Community | None:
    return session.get(Community, community_id)


def community_for_channel(session: Session, channel_id: str | None) -> Community | None:
    if not channel_id:
        return None
    return session.scalar(select(Community).where(Community.channel_id == channel_id))


def community_for_request(
    session: Session, *, user_id: str | None, channel_id: str | None
) -> Community | None:
    """The community a request is about: its channel's, else the user's own, else the first."""
    by_channel = community_for_channel(session, channel_id)
    if by_channel is not None:
        return by_channel
    if user_id:
        mine = session.scalars(
            select(Community)
            .join(Member, Member.community_id == Community.id)
            .where(Member.user_id == user_id, Member.status == MemberStatus.ACTIVE)
            .order_by(Community.id)
        ).first()
        if mine is not None:
            return mine
    return session.scalars(select(Community).order_by(Community.id)).first()


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
    return [m for m in active_members(session, community_id) if m.role == Role.CONVENOR]


def resolve_viewer(session: Session, community: Community | None, user_id: str) -> Viewer:
    if community is None:
        return Viewer(user_id=user_id, community_id=None)
    member = get_member(session, community.id, user_id)
    if member is None or not member.is_active:
        return Viewer(user_id=user_id, community_id=community.id)
    return Viewer(
        user_id=user_id,
        community_id=community.id,
        member_id=member.id,
        role=member.role,
        name=member.name,
    )


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
    return member


def sync_members(
    session: Session,
    community: Community,
    *,
    channel_members: Iterable[SlackProfile],
    convenor_profiles: Iterable[SlackProfile],
) -> tuple[int, int]:
    """Bring membership in step with the CoP channel at start; returns (added, removed)."""
    convenor_list = list(convenor_profiles)
    convenor_ids = {p.user_id for p in convenor_list}
    present: dict[str, SlackProfile] = {
        p.user_id: p for p in channel_members if not p.is_bot and not p.deleted
    }
    before = {m.user_id for m in active_members(session, community.id)}
    for profile in convenor_list:
        admit(session, community, profile, role=Role.CONVENOR)
    for user_id, profile in present.items():
        if user_id not in convenor_ids:
            admit(session, community, profile)
    removed = 0
    if community.channel_id:
        for member in active_members(session, community.id):
            if member.user_id not in present and member.role != Role.CONVENOR:
                mark_left(session, community, member.user_id)
                removed += 1
    after = {m.user_id for m in active_members(session, community.id)}
    return len(after - before), removed
