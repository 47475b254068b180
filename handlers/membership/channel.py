"""Keeping the CoP channel in step with membership: who joins and leaves it."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

import prompts
from bot.db import unit_of_work
from bot.models import utcnow
from bot.services import membership
from bot.slack import fetch_profile
from bot.text import escape
from handlers import home
from handlers.membership.common import (
    convenor_ids,
    refresh_with_convenors,
    sets_move_on,
    tell_of_room,
)


def on_member_joined(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Before anyone applies, joining the channel makes a member; after, only approval does."""
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
        member = membership.get_member(session, community.id, user_id)
        if (member is not None and member.is_active) or not membership.is_curated(community):
            membership.admit(session, community, profile)
            unapproved = False
        else:
            pending = membership.record_unapproved_join(
                session, community, user_id, profile.name, now=utcnow()
            )
            unapproved = True
            community_id, name, channel = community.id, community.name, community.channel_id
    if unapproved:
        note = " They have an application waiting." if pending else " They haven't applied."
        text = prompts.load("membership")["unapproved_join"].format(
            person=f"<@{user_id}> ({escape(profile.name)})",
            channel=channel,
            community=escape(name),
            application=note,
        )
        key = f"unapproved-join:{community_id}:{user_id}:{event.get('event_ts', '')}"
        for convenor in convenor_ids(session_factory, community_id):
            context["sender"].deliver(f"{key}:{convenor}", convenor, text=text)
    home.publish_home(client, session_factory, user_id)


def on_member_left(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    session_factory = context["db"]
    with unit_of_work(session_factory) as session:
        community = membership.community_for_channel(session, event.get("channel"))
        if community is None:
            return
        member = membership.left_channel(session, community, event["user"], now=utcnow())
        left = member is not None and not member.is_active
        stamp = member.left_at.isoformat() if member and member.left_at else ""
        community_id = community.id
    if left:
        sets_move_on(context["sender"], session_factory, community_id)
        refresh_with_convenors(client, session_factory, community_id, event["user"])
        key = f"place-opened:{community_id}:{event['user']}:{stamp}"
        tell_of_room(context["sender"], session_factory, community_id, key)
    else:
        home.publish_home(client, session_factory, event["user"])
