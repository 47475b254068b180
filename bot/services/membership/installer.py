"""What the installation store keeps of the person who installed Kettle in a workspace through
Slack's OAuth flow: their Slack user id (and a user token, which Kettle never asks for) beside
the workspace's bot token. It is theirs: `/cop mydata` shows it, and forget-me takes it off
every installation of the workspace while the bot token, which the workspace runs on, stays."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from bot.models import Community, slack_installations

#: What stands where the installer's user id was: the store's column may not be empty (NULL),
#: and no Slack user has this id, so no request is ever matched to it.
NOBODY = ""


def _theirs(community: Community, user_id: str) -> ColumnElement[bool]:
    c = slack_installations.c
    mine = c.user_id == user_id
    # A community of a SLACK_BOT_TOKEN install names no workspace: its one workspace is all.
    return mine if community.team_id is None else mine & (c.team_id == community.team_id)


def installed_by(session: Session, community: Community, user_id: str) -> list[dict[str, Any]]:
    """The installations of the community's workspace that keep their user id."""
    c = slack_installations.c
    rows = session.execute(
        select(c.team_id, c.team_name, c.installed_at, c.user_scopes, c.user_token)
        .where(_theirs(community, user_id))
        .order_by(c.installed_at)
    )
    return [
        {
            "workspace": row.team_name or row.team_id,
            "installed_at": row.installed_at.isoformat() if row.installed_at else None,
            "user_scopes": row.user_scopes or "",
            "user_token_kept": row.user_token is not None,
        }
        for row in rows
    ]


def is_installer(session: Session, community: Community, user_id: str) -> bool:
    c = slack_installations.c
    return session.scalar(select(c.id).where(_theirs(community, user_id)).limit(1)) is not None


def forget_installer(session: Session, community: Community, user_id: str) -> int:
    """Their user id and any user token go from the workspace's installations; the bot token
    and everything the workspace runs on stay. Returns how many installations changed."""
    result = session.execute(
        update(slack_installations)
        .where(_theirs(community, user_id))
        .values(
            user_id=NOBODY,
            user_token=None,
            user_scopes=None,
            user_refresh_token=None,
            user_token_expires_at=None,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
