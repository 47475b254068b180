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


def communities(
    session: Session, *, team_id: str | None = None, by_team: bool = False
) -> list[Community]:
    """Every community, oldest first; with `team_id`, those of that workspace (and any not
    tied to one, as a single-workspace install's are); with `by_team` (several workspaces)
    only that workspace's."""
    query = select(Community).order_by(Community.id).where(*_scope(team_id, by_team))
    if team_id and not by_team:
        query = query.where((Community.team_id == team_id) | Community.team_id.is_(None))
    return list(session.scalars(query))


def several(session: Session) -> bool:
    """The install holds more than one CoP: what Kettle sends one person must say which."""
    return len(session.scalars(select(Community.id).limit(2)).all()) > 1


def community_by_id(session: Session, community_id: int) -> Community | None:
    return session.get(Community, community_id)


def community_for_channel(session: Session, channel_id: str | None) -> Community | None:
    if not channel_id:
        return None
    return session.scalar(select(Community).where(Community.channel_id == channel_id))


def _scope(team_id: str | None, by_team: bool) -> list[Any]:
    """Where Kettle is installed in several workspaces (`by_team`), only the request's own
    workspace's communities are ever found; another workspace's never are."""
    return [Community.team_id == team_id] if by_team else []


def communities_of(
    session: Session, user_id: str, *, team_id: str | None = None, by_team: bool = False
) -> list[Community]:
    """The communities someone is an active member of, oldest first."""
    return list(
        session.scalars(
            select(Community)
            .join(Member, Member.community_id == Community.id)
            .where(
                Member.user_id == user_id,
                Member.status == MemberStatus.ACTIVE,
                *_scope(team_id, by_team),
            )
            .order_by(Community.id)
        )
    )


def community_for_request(
    session: Session,
    *,
    user_id: str | None,
    channel_id: str | None,
    community_id: int | None = None,
    team_id: str | None = None,
    by_team: bool = False,
) -> Community | None:
    """The community a request is about, or None when the request cannot say.

    In order: the one the request names (a form, or a CoP's part of the App Home, carries its
    community's id), the one whose channel it came from, the one community the person belongs
    to, the install's only community (of the request's workspace, `team_id`). A member of
    several, outside their channels, or an outsider where there are several, gets None: Kettle
    asks which rather than guess. With `by_team` (several workspaces) only the request's own
    workspace's communities are ever found.
    """
    scope = _scope(team_id, by_team)
    if community_id:
        named = session.scalar(select(Community).where(Community.id == community_id, *scope))
        if named is not None:
            return named
    if channel_id:
        by_channel = session.scalar(
            select(Community).where(Community.channel_id == channel_id, *scope)
        )
        if by_channel is not None:
            return by_channel
    if user_id:
        mine = communities_of(session, user_id, team_id=team_id, by_team=by_team)
        if mine:
            return mine[0] if len(mine) == 1 else None
    every = communities(session, team_id=team_id, by_team=by_team)
    return every[0] if len(every) == 1 else None


def request_choices(
    session: Session, user_id: str, *, team_id: str | None = None, by_team: bool = False
) -> list[Community]:
    """The communities a request that cannot say might be for: the person's own, or (for
    someone in none) every community of the install (of their workspace)."""
    return communities_of(session, user_id, team_id=team_id, by_team=by_team) or communities(
        session, team_id=team_id, by_team=by_team
    )


def is_curated(community: Community) -> bool:
    """True once anyone has applied: from then on only approval makes a member."""
    return bool((community.settings or {}).get("curated"))


def set_setting(community: Community, key: str, value: Any) -> None:
    community.settings = {**(community.settings or {}), key: value}
