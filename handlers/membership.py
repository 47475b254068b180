"""Keep membership in step with the CoP channel: joining makes a member, leaving ends it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.db import unit_of_work
from bot.services import membership
from bot.slack import fetch_profile
from handlers import home, registry

log = logging.getLogger(__name__)


def on_member_joined(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    session_factory = context["db"]
    user_id = event["user"]
    with unit_of_work(session_factory) as session:
        community = membership.community_for_channel(session, event.get("channel"))
        if community is None:
            return
    profile = fetch_profile(client, user_id)
    if profile.is_bot:
        return
    with unit_of_work(session_factory) as session:
        community = membership.community_for_channel(session, event.get("channel"))
        if community is None:
            return
        membership.admit(session, community, profile)
    home.publish_home(client, session_factory, user_id)


def on_member_left(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    session_factory = context["db"]
    with unit_of_work(session_factory) as session:
        community = membership.community_for_channel(session, event.get("channel"))
        if community is None:
            return
        membership.mark_left(session, community, event["user"])
    home.publish_home(client, session_factory, event["user"])


def register(app: App) -> None:
    registry.event(app, "member_joined_channel", on_member_joined)
    registry.event(app, "member_left_channel", on_member_left)
