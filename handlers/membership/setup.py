"""`/cop setup`: a workspace admin, or a convenor of the CoP, sets the CoP up from its private
channel: Kettle checks the channel, asks for the movement's channel and the convenors, offers
to join the movement's channel, and shows what is left to do."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

import prompts
from bot.builders import membership as builders
from bot.builders.ids import CommunityIds
from bot.db import unit_of_work
from bot.errors import InvalidInput, KettleError
from bot.services import membership
from bot.services.membership import ChannelFacts, Refusal
from bot.slack import channel_member_ids, fetch_profile
from handlers.forms import metadata
from handlers.membership.common import refresh_homes, say

log = logging.getLogger(__name__)


def _words() -> dict[str, Any]:
    return dict(prompts.load("membership")["setup"])


def is_workspace_admin(client: WebClient, user_id: str) -> bool:
    """users.info's is_admin / is_owner: a workspace admin may set up any CoP."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
        return False
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


def channel_facts(client: WebClient, channel_id: str) -> ChannelFacts:
    """conversations.info, read for setting up; a private channel Kettle is not in is not
    found (that is how Slack answers)."""
    if not channel_id or channel_id.startswith("D"):
        return ChannelFacts(channel_id=channel_id or "D", found=False)
    try:
        info = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as exc:
        if exc.response.get("error") == "channel_not_found":
            return ChannelFacts(channel_id=channel_id, found=False)
        raise
    return ChannelFacts(
        channel_id=channel_id,
        found=True,
        name=str(info.get("name") or ""),
        is_private=bool(info.get("is_private")),
        is_archived=bool(info.get("is_archived")),
        kettle_in=bool(info.get("is_member")),
    )


def _refuse_unless_allowed(
    client: WebClient, context: BoltContext, channel_id: str, user_id: str
) -> str | None:
    """None when `user_id` may set up the CoP of `channel_id`, else the sentence saying why not."""
    admin = is_workspace_admin(client, user_id)
    seeds = context["settings"].convenors
    with unit_of_work(context["db"]) as session:
        if membership.may_set_up(
            session, channel_id, user_id, is_admin=admin, seed_convenors=seeds
        ):
            return None
        community = membership.community_for_channel(session, channel_id)
        ids = membership.convenor_ids(session, community.id) if community else []
    names = " (" + ", ".join(f"<@{u}>" for u in ids) + ")" if ids else ""
    return str(_words()[Refusal.NOT_ALLOWED.value].format(convenors=names))


def cop_setup(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    user_id = context.user_id or ""
    channel_id = body.get("channel_id") or ""
    words = _words()
    facts = channel_facts(client, channel_id)
    refused = membership.channel_refusal(facts)
    if refused is not None:
        say(ack, words[refused.value])
        return
    why_not = _refuse_unless_allowed(client, context, channel_id, user_id)
    if why_not is not None:
        say(ack, why_not)
        return
    runner = fetch_profile(client, user_id)
    with unit_of_work(context["db"]) as session:
        given = bool(context["settings"].extra.get("KETTLE_COMMUNITY_NAME", "").strip())
        community, _created = membership.set_up_community(
            session, facts, team_id=body.get("team_id"), by=runner, name_given=given
        )
        view = builders.setup_modal(
            community_id=community.id,
            community_name=community.name,
            channel_id=channel_id,
            movement_channel_id=community.movement_channel_id,
            convenor_ids=membership.convenor_ids(session, community.id),
        )
        community_id = community.id
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=view)
    _sync_with_channel(client, context, community_id, channel_id)


def _sync_with_channel(
    client: WebClient, context: BoltContext, community_id: int, channel_id: str
) -> None:
    """Everyone already in the CoP's channel is known to Kettle, as at start."""
    present = [fetch_profile(client, u) for u in channel_member_ids(client, channel_id)]
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, community_id)
        if community is not None:
            membership.sync_members(session, community, channel_members=present)


def _chosen(view: dict[str, Any]) -> tuple[str | None, list[str]]:
    values = view["state"]["values"]
    movement = (values.get(CommunityIds.SETUP_MOVEMENT) or {}).get("value") or {}
    people = (values.get(CommunityIds.SETUP_CONVENORS) or {}).get("value") or {}
    return movement.get("selected_conversation"), list(people.get("selected_users") or [])


def on_setup_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    user_id = context.user_id or ""
    data = metadata(view)
    community_id = int(data.get("community_id") or 0)
    movement_id, people = _chosen(view)
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, community_id)
        channel_id = community.channel_id if community else None
    if community is None or not channel_id or channel_id != data.get("channel_id"):
        raise KettleError("That form is out of date: run `/cop setup` again.")
    why_not = _refuse_unless_allowed(client, context, channel_id, user_id)
    if why_not is not None:
        raise KettleError(why_not)
    errors = {}
    if not movement_id:
        errors[CommunityIds.SETUP_MOVEMENT.value] = "Choose the movement's channel."
    elif movement_id == channel_id:
        errors[CommunityIds.SETUP_MOVEMENT.value] = (
            "Choose the movement's channel, not the CoP's own private channel."
        )
    if not people:
        errors[CommunityIds.SETUP_CONVENORS.value] = "Choose at least one convenor."
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    chosen = [fetch_profile(client, u) for u in people]
    movement = channel_facts(client, movement_id or "")
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, community_id)
        if community is None:
            raise KettleError("That CoP is no longer set up: run `/cop setup` again.")
        try:
            ids = [
                m.user_id
                for m in membership.record_setup(
                    session,
                    community,
                    movement_channel_id=movement_id,
                    chosen=chosen,
                    actor_user_id=user_id,
                )
            ]
        except InvalidInput as exc:
            raise KettleError(exc.user_message) from exc
        checklist = membership.checklist(session, community, movement)
        capacity = membership.capacity(community)
    lead = _words()["saved"].format(community=checklist.name)
    blocks = builders.checklist_blocks(checklist, capacity=capacity, lead=lead)
    client.chat_postEphemeral(
        channel=channel_id, user=user_id, text=builders.checklist_text(checklist), blocks=blocks
    )
    refresh_homes(client, context["db"], user_id, *ids)


def on_setup_join(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Join it: Kettle joins the CoP's chosen movement channel (public) itself."""
    ack()
    user_id = context.user_id or ""
    action = (body.get("actions") or [{}])[0]
    wanted = str(action.get("value") or "")
    viewer = context.get("viewer")
    community_id = getattr(viewer, "community_id", None) or 0
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, community_id)
        channel_id = community.channel_id if community else None
        movement_id = community.movement_channel_id if community else None
    if community is None or not channel_id or not wanted or wanted != movement_id:
        raise KettleError("That checklist is out of date: run `/cop setup` again.")
    why_not = _refuse_unless_allowed(client, context, channel_id, user_id)
    if why_not is not None:
        raise KettleError(why_not)
    client.conversations_join(channel=wanted)
    movement = channel_facts(client, wanted)
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, community_id)
        if community is None:
            return
        checklist = membership.checklist(session, community, movement)
        capacity = membership.capacity(community)
    lead = _words()["joined"].format(channel=wanted)
    blocks = builders.checklist_blocks(checklist, capacity=capacity, lead=lead)
    text = builders.checklist_text(checklist)
    response_url = body.get("response_url")
    if response_url:
        WebhookClient(response_url).send(
            text=text, blocks=blocks, response_type="ephemeral", replace_original=True
        )
    else:
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=text, blocks=blocks)
