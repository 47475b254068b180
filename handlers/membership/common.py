"""What the membership listeners share: the viewer's community, the CoP channel, App Homes."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

import prompts
from bot.builders.ids import MembershipIds
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Sender
from bot.errors import NotFound
from bot.models import Community
from bot.schedules import sets as standing
from bot.services import membership
from bot.services.membership import Viewer
from bot.text import escape
from handlers import home
from handlers.middleware import ask_which

log = logging.getLogger(__name__)


def community_of(session: Session, viewer: Viewer) -> Community:
    community = membership.community_by_id(session, viewer.community_id or 0)
    if community is None and viewer.undecided:
        raise ask_which(session, viewer)
    if community is None:
        raise NotFound("Kettle isn't set up for a Community of Practice yet.")
    return community


def kick(client: WebClient, channel: str | None, user_id: str) -> None:
    if not channel:
        return
    try:
        client.conversations_kick(channel=channel, user=user_id)
    except SlackApiError as exc:
        if exc.response.get("error") != "not_in_channel":
            log.warning("could not remove %s from %s: %s", user_id, channel, exc.response)


def refresh_homes(client: WebClient, session_factory: SessionFactory, *users: str) -> None:
    for user_id in dict.fromkeys(users):
        try:
            home.publish_home(client, session_factory, user_id)
        except SlackApiError:
            log.exception("could not publish the home of %s", user_id)


def convenor_ids(session_factory: SessionFactory, community_id: int) -> list[str]:
    with unit_of_work(session_factory) as session:
        return membership.convenor_ids(session, community_id)


def refresh_with_convenors(
    client: WebClient, session_factory: SessionFactory, community_id: int, *users: str
) -> None:
    """Refresh these people's App Homes and every convenor's (their queue and places taken)."""
    refresh_homes(client, session_factory, *users, *convenor_ids(session_factory, community_id))


PLACE_OPENED = (
    "A place has opened in *{community}* ({members} of {capacity} taken) and {waiting} waiting "
    "on the waitlist. `/cop review` to decide."
)


def tell_of_room(
    sender: Sender, session_factory: SessionFactory, community_id: int, key: str
) -> None:
    """A place opened (someone left, was removed or forgotten): if anyone is on the waitlist,
    every convenor hears, once per `key`, so the waitlist is not forgotten."""
    with unit_of_work(session_factory) as session:
        community = membership.community_by_id(session, community_id)
        if community is None:
            return
        waiting = len(membership.waitlist(session, community_id))
        members, room = (
            membership.member_count(session, community_id),
            membership.capacity(community),
        )
        if not waiting or members >= room:
            return
        text = (
            prompts.load("membership")
            .get("place_opened", PLACE_OPENED)
            .format(
                community=escape(community.name), members=members, capacity=room, waiting=waiting
            )
        )
        convenors = membership.convenor_ids(session, community_id)
    for convenor in convenors:
        sender.deliver(f"{key}:{convenor}", convenor, text=text)


def sets_move_on(sender: Sender, session_factory: SessionFactory, community_id: int) -> None:
    """Someone's membership ended: each set they were in goes on in a new group DM now (the
    sets' tick does it otherwise, within a minute)."""
    try:
        standing.move_spaces(sender, session_factory, community_id)
    except Exception:
        log.exception("could not move community %s's sets on; the next tick will", community_id)


def question_answers(values: dict[str, Any]) -> dict[str, Any]:
    prefix = MembershipIds.QUESTION_PREFIX.value
    return {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}


def say(ack: Ack, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
    ack(response_type="ephemeral", text=text, blocks=blocks)
