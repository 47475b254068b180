"""Communities: the one the environment sets up, finding the one a request or channel is
about, and the settings a community carries (curated, capacity)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import Community, Member, MemberStatus

DEFAULT_SLUG = "default"


def configured_community(session: Session) -> Community | None:
    """The community the environment set up, if a start has created it yet."""
    return session.scalar(select(Community).where(Community.slug == DEFAULT_SLUG))


def open_community(session: Session, settings: Settings) -> tuple[Community, bool]:
    """The environment's community, and whether this call created it.

    Created with the environment's name and channels. On later starts a name or channel the
    environment gives is applied (nothing in Slack changes them: they are the operator's), and
    one it no longer gives is kept, never blanked. Who convenes is not here: the environment
    only seeds a new community's first convenors (`seed_convenors`).
    """
    community = configured_community(session)
    created = community is None
    if community is None:
        community = Community(slug=DEFAULT_SLUG, name=settings.community_name, settings={})
        session.add(community)
    given = settings.extra
    if created or given.get("KETTLE_COMMUNITY_NAME", "").strip():
        community.name = settings.community_name
    if created or settings.cop_channel:
        community.channel_id = settings.cop_channel
    if created or settings.movement_channel:
        community.movement_channel_id = settings.movement_channel
    session.flush()
    return community, created


def ensure_community(session: Session, settings: Settings) -> Community:
    """The environment's community, created if need be (see `open_community`)."""
    return open_community(session, settings)[0]


def communities(session: Session) -> list[Community]:
    return list(session.scalars(select(Community).order_by(Community.id)))


def community_by_id(session: Session, community_id: int) -> Community | None:
    return session.get(Community, community_id)


def community_for_channel(session: Session, channel_id: str | None) -> Community | None:
    if not channel_id:
        return None
    return session.scalar(select(Community).where(Community.channel_id == channel_id))


def community_for_request(
    session: Session,
    *,
    user_id: str | None,
    channel_id: str | None,
    team_id: str | None = None,
    by_team: bool = False,
) -> Community | None:
    """The community a request is about: its channel's, else the user's own, else the first.

    `by_team` (Kettle installed in several workspaces): only the communities of the request's
    workspace, `team_id`; another workspace's are never found."""
    scope = [Community.team_id == team_id] if by_team else []
    if channel_id:
        by_channel = session.scalar(
            select(Community).where(Community.channel_id == channel_id, *scope)
        )
        if by_channel is not None:
            return by_channel
    if user_id:
        mine = session.scalars(
            select(Community)
            .join(Member, Member.community_id == Community.id)
            .where(Member.user_id == user_id, Member.status == MemberStatus.ACTIVE, *scope)
            .order_by(Community.id)
        ).first()
        if mine is not None:
            return mine
    return session.scalars(select(Community).where(*scope).order_by(Community.id)).first()


def is_curated(community: Community) -> bool:
    """True once anyone has applied: from then on only approval makes a member."""
    return bool((community.settings or {}).get("curated"))


def set_setting(community: Community, key: str, value: Any) -> None:
    community.settings = {**(community.settings or {}), key: value}
