"""Convenors shape the group: `/cop capacity`, `/cop convenor appoint|standdown`, `/cop remove`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

import prompts
from bot.builders import membership as builders
from bot.db import unit_of_work
from bot.errors import InvalidInput
from bot.models import utcnow
from bot.services import membership
from bot.text import escape
from handlers.membership.common import (
    community_of,
    kick,
    refresh_homes,
    refresh_with_convenors,
    say,
    sets_move_on,
    tell_of_room,
)
from handlers.middleware import viewer_of


def cop_capacity(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = community_of(session, viewer)
        if args:
            if not args.isdigit():
                raise InvalidInput("Give the capacity as a number, e.g. `/cop capacity 13`.")
            actor = membership.get_member(session, community.id, viewer.user_id)
            membership.set_capacity(session, community, int(args), actor=actor, now=utcnow())  # type: ignore[arg-type]
        size = membership.capacity(community)
        taken = membership.member_count(session, community.id)
        waiting = len(membership.waitlist(session, community.id))
    text = f"The group has room for {size} members (not counting convenors); {taken} taken."
    if waiting:
        text += f" {waiting} waiting on the waitlist: `/cop review` to decide."
    say(ack, text)


def cop_convenor(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    verb, _, rest = args.partition(" ")
    verb = verb.lower().replace("-", "").replace("_", "")
    if verb not in ("appoint", "standdown") or not rest.strip():
        raise InvalidInput("Use `/cop convenor appoint @name` or `/cop convenor standdown @name`.")
    with unit_of_work(context["db"]) as session:
        community = community_of(session, viewer)
        actor = membership.get_member(session, community.id, viewer.user_id)
        target, _ = membership.find_member(session, community.id, rest)
        change = membership.appoint if verb == "appoint" else membership.stand_down
        changed = change(session, community, target, actor=actor, now=utcnow())  # type: ignore[arg-type]
        name, user_id = target.name, target.user_id
    if verb == "appoint":
        said = f"{escape(name)} is now a convenor." if changed else f"{escape(name)} already is."
    else:
        said = f"{escape(name)} has stood down." if changed else f"{escape(name)} isn't a convenor."
    say(ack, said)
    if changed:
        refresh_homes(client, context["db"], user_id, viewer.user_id)


def cop_remove(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    if not args:
        raise InvalidInput("Use `/cop remove @name the reason` (they will read the reason).")
    with unit_of_work(context["db"]) as session:
        community = community_of(session, viewer)
        actor = membership.get_member(session, community.id, viewer.user_id)
        target, reason = membership.find_member(session, community.id, args)
        membership.remove(session, community, target, reason=reason, actor=actor, now=utcnow())  # type: ignore[arg-type]
        user_id, name, member_id = target.user_id, target.name, target.id
        channel, community_name = community.channel_id, community.name
        left_at = target.left_at
    say(ack, f"{escape(name)} has been removed, and told why.")
    kick(client, channel, user_id)
    sets_move_on(context["sender"], context["db"], viewer.community_id or 0)
    text = builders.with_reason(prompts.load("membership")["removed"], community_name, reason)
    stamp = left_at.isoformat() if left_at else ""
    context["sender"].deliver(f"removed:{member_id}:{stamp}", user_id, text=text)
    refresh_with_convenors(client, context["db"], viewer.community_id or 0, user_id, viewer.user_id)
    key = f"place-opened:{viewer.community_id}:{user_id}:{stamp}"
    tell_of_room(context["sender"], context["db"], viewer.community_id or 0, key)
