"""`/cop` words for membership: join, leave, profile, members, norms, mydata, forget, and the
convenor's review, log, capacity, convenor and remove."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

import prompts
from bot.builders import membership as builders
from bot.builders.ids import Command
from bot.db import unit_of_work
from bot.errors import InvalidInput
from bot.models import utcnow
from bot.services import membership
from bot.text import escape
from handlers import membership as flows
from handlers import registry
from handlers.middleware import viewer_of

log = logging.getLogger(__name__)


def _say(ack: Ack, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
    ack(response_type="ephemeral", text=text, blocks=blocks)


def cop_join(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    flows.open_apply_form(client, body["trigger_id"], context)
    ack()


def cop_norms(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    text = (
        f"*Our norms*\n{builders.norms_text()}\n\n{builders.criteria_text(membership.criteria())}"
    )
    _say(ack, text)


def cop_profile(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    ack()
    flows.open_profile_form(client, body["trigger_id"], context)


def cop_members(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        entries = membership.directory(session, viewer.community_id or 0)
        mix = membership.group_mix(session, viewer.community_id or 0)
    _say(ack, builders.directory_text(entries, mix))


def cop_leave(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    _say(ack, "Leave the Community of Practice?", builders.leave_blocks())


def cop_forget(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = flows._community(session, viewer)
        if not membership.holds_anything(session, community, viewer.user_id):
            _say(ack, "Kettle holds nothing about you.")
            return
        count = flows.story_count(session, community.id, viewer.user_id)
    _say(ack, "Forget me?", builders.forget_blocks(count))


def cop_mydata(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = flows._community(session, viewer)
        if not membership.holds_anything(session, community, viewer.user_id):
            _say(ack, "Kettle holds nothing about you.")
            return
        data = membership.personal_data(session, community, viewer.user_id)
    _say(ack, "I'm sending everything Kettle holds about you to our direct messages.")
    dm = client.conversations_open(users=viewer.user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=dm,
        content=json.dumps(data, indent=2, ensure_ascii=False),
        filename="kettle-my-data.json",
        title="Everything Kettle holds about you",
        initial_comment="Here is everything Kettle holds about you, as JSON.",
    )


# -- convenors -----------------------------------------------------------------------------------


def cop_review(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = flows._community(session, viewer)
        blocks = flows.convenor_blocks(session, community)
    _say(ack, "Applications", blocks[:50])


def cop_log(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        decisions = membership.decision_log(session, viewer.community_id or 0)
        text = builders.log_text(decisions)
    _say(ack, text)


def cop_capacity(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = flows._community(session, viewer)
        if args:
            if not args.isdigit():
                raise InvalidInput("Give the capacity as a number, e.g. `/cop capacity 13`.")
            actor = membership.get_member(session, community.id, viewer.user_id)
            membership.set_capacity(session, community, int(args), actor=actor, now=utcnow())  # type: ignore[arg-type]
        size = membership.capacity(community)
        taken = membership.member_count(session, community.id)
    _say(ack, f"The group has room for {size} members (not counting convenors); {taken} taken.")


def cop_convenor(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    verb, _, rest = args.partition(" ")
    verb = verb.lower().replace("-", "").replace("_", "")
    if verb not in ("appoint", "standdown") or not rest.strip():
        raise InvalidInput("Use `/cop convenor appoint @name` or `/cop convenor standdown @name`.")
    with unit_of_work(context["db"]) as session:
        community = flows._community(session, viewer)
        actor = membership.get_member(session, community.id, viewer.user_id)
        target, _ = membership.find_member(session, community.id, rest)
        change = membership.appoint if verb == "appoint" else membership.stand_down
        changed = change(session, community, target, actor=actor, now=utcnow())  # type: ignore[arg-type]
        name, user_id = target.name, target.user_id
    if verb == "appoint":
        said = f"{escape(name)} is now a convenor." if changed else f"{escape(name)} already is."
    else:
        said = f"{escape(name)} has stood down." if changed else f"{escape(name)} isn't a convenor."
    _say(ack, said)
    if changed:
        flows._refresh_homes(client, context["db"], user_id, viewer.user_id)


def cop_remove(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    if not args:
        raise InvalidInput("Use `/cop remove @name the reason` (they will read the reason).")
    with unit_of_work(context["db"]) as session:
        community = flows._community(session, viewer)
        actor = membership.get_member(session, community.id, viewer.user_id)
        target, reason = membership.find_member(session, community.id, args)
        membership.remove(session, community, target, reason=reason, actor=actor, now=utcnow())  # type: ignore[arg-type]
        user_id, name, member_id = target.user_id, target.name, target.id
        channel, community_name = community.channel_id, community.name
        left_at = target.left_at
    _say(ack, f"{escape(name)} has been removed, and told why.")
    flows._kick(client, channel, user_id)
    text = prompts.load("membership")["removed"].format(
        community=escape(community_name), reason=f"\n\n_{escape(reason)}_"
    )
    stamp = left_at.isoformat() if left_at else ""
    context["sender"].deliver(f"removed:{member_id}:{stamp}", user_id, text=text)
    flows._refresh_homes(client, context["db"], user_id, viewer.user_id)


def register(app: App) -> None:
    cop = Command.COP.value
    words = [
        ("join", cop_join, registry.ANYONE, "— apply to join the Community of Practice"),
        ("norms", cop_norms, registry.ANYONE, "— our norms and what we look for in members"),
        ("mydata", cop_mydata, registry.ANYONE, "— everything Kettle holds about you, as a file"),
        ("forget", cop_forget, registry.ANYONE, "— ask Kettle to forget you"),
        ("profile", cop_profile, registry.MEMBER, "— see and edit your profile"),
        ("members", cop_members, registry.MEMBER, "— who's in the group, and its mix"),
        ("leave", cop_leave, registry.MEMBER, "— leave the Community of Practice"),
        ("review", cop_review, registry.CONVENOR, "— applications waiting for a decision"),
        ("applications", cop_review, registry.CONVENOR, "— same as review"),
        ("log", cop_log, registry.CONVENOR, "— every membership decision, who made it and why"),
        ("capacity", cop_capacity, registry.CONVENOR, "[N] — see or set the group's size"),
        ("convenor", cop_convenor, registry.CONVENOR, "appoint|standdown @name"),
        ("remove", cop_remove, registry.CONVENOR, "@name reason — end someone's membership"),
    ]
    for word, listener, access, usage in words:
        registry.subcommand(app, cop, word, listener, access=access, usage=usage)
