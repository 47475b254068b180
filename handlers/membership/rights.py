"""A member's rights over their data: leaving, seeing everything Kettle holds, being forgotten."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

import prompts
from bot import storage
from bot.builders import membership as builders
from bot.builders.stories import story_blocks, story_fallback_text
from bot.db import unit_of_work
from bot.errors import NotFound
from bot.models import Community, utcnow
from bot.schedules import knowledge as sends
from bot.schedules import rounds as round_posts
from bot.services import membership, stories
from bot.text import escape
from handlers.membership.common import (
    community_of,
    kick,
    refresh_with_convenors,
    say,
    sets_move_on,
    tell_of_room,
)
from handlers.middleware import tell, viewer_of

log = logging.getLogger(__name__)

T = TypeVar("T")

NOTHING_HELD = "Kettle holds nothing about you."


def on_leave_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = community_of(session, viewer)
        member = membership.get_member(session, community.id, viewer.user_id)
        if member is None:
            raise NotFound()
        membership.leave(session, community, member, now=utcnow())
        stamp = member.left_at.isoformat() if member.left_at else ""
        channel, name, community_id = community.channel_id, community.name, community.id
    kick(client, channel, viewer.user_id)
    sets_move_on(context["sender"], context["db"], community_id)
    tell(body, client, context, prompts.load("membership")["left"].format(community=escape(name)))
    refresh_with_convenors(client, context["db"], community_id, viewer.user_id)
    key = f"place-opened:{community_id}:{viewer.user_id}:{stamp}"
    tell_of_room(context["sender"], context["db"], community_id, key)


def forget_listener(keep: bool) -> Any:
    def on_forget(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        """Only ever forgets the person who pressed the button (Slack signs who that is)."""
        ack()
        viewer = viewer_of(context)
        dm_channel = context["sender"].resolve_channel(viewer.user_id)
        with unit_of_work(context["db"]) as session:
            community = community_of(session, viewer)
            if not membership.holds_anything(session, community, viewer.user_id):
                # A second press, or a button forwarded to someone Kettle knows nothing of.
                tell(body, client, context, NOTHING_HELD)
                return
            result = membership.forget(
                session,
                community,
                viewer.user_id,
                keep_stories=keep,
                now=utcnow(),
                dm_channel=dm_channel,
            )
            channel, community_id = community.channel_id, community.id
            # Every App Home's library may show their stories or their name.
            members = [m.user_id for m in membership.active_members(session, community_id)]
            was_member = result.was_member  # not a second press that found nothing left
        for story_id, post_channel, ts in result.reworded_posts:
            _unname_post(client, context["db"], community_id, story_id, post_channel, ts)
        sends.take_down(
            context["db"],
            client,
            context["sender"],
            posts=result.deleted_story_posts,
            digests=result.digests,
        )
        round_posts.refresh_posts(context["sender"], context["db"])  # edits what forget marked
        for sha256 in result.unused_files:
            storage.remove(context["settings"].files_dir, sha256)
        if was_member:
            kick(client, channel, viewer.user_id)
        sets_move_on(context["sender"], context["db"], community_id)
        stories = _stories_said(result.stories_kept if keep else result.stories_deleted, keep)
        tell(body, client, context, "Done: Kettle has forgotten you." + stories)
        refresh_with_convenors(client, context["db"], community_id, viewer.user_id, *members)
        if was_member:
            key = f"place-opened:{community_id}:{viewer.user_id}:forgotten:{utcnow().isoformat()}"
            tell_of_room(context["sender"], context["db"], community_id, key)

    on_forget.__name__ = f"on_forget_{'keep' if keep else 'delete'}"
    return on_forget


def _unname_post(
    client: WebClient,
    session_factory: Any,
    community_id: int,
    story_id: int,
    channel: str,
    ts: str,
) -> None:
    """A kept story's post in the CoP channel no longer says who shared it."""
    with unit_of_work(session_factory) as session:
        try:
            story = stories.get_story(session, story_id, community_id=community_id)
        except NotFound:
            return
        blocks = story_blocks(story, author_line="shared by a former member")
        text = story_fallback_text(story)
    try:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError:
        log.warning("could not take the name off a kept story's post %s", ts)


def _stories_said(count: int, kept: bool) -> str:
    if count == 0:
        return " You had no stories."
    if kept:
        which = "Your story stays" if count == 1 else f"Your {count} stories stay"
        return f" {which} in the library without your name."
    return " Your story was deleted." if count == 1 else f" Your {count} stories were deleted."


def cop_leave(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    say(ack, "Leave the Community of Practice?", builders.leave_blocks())


def _held_about_them(
    ack: Ack, context: BoltContext, read: Callable[[Session, Community, str], T]
) -> T | None:
    """What `read` finds of the viewer's own data; None, and they are told, if Kettle holds
    nothing about them (someone who never applied, or was forgotten already)."""
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = community_of(session, viewer)
        if membership.holds_anything(session, community, viewer.user_id):
            return read(session, community, viewer.user_id)
    say(ack, NOTHING_HELD)
    return None


def cop_forget(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    count = _held_about_them(ack, context, membership.story_count)
    if count is not None:
        say(ack, "Forget me?", builders.forget_blocks(count))


def cop_mydata(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    data = _held_about_them(ack, context, membership.personal_data)
    if data is None:
        return
    say(ack, "I'm sending everything Kettle holds about you to our direct messages.")
    viewer = viewer_of(context)
    dm = context["sender"].resolve_channel(viewer.user_id)  # the DM id kept on their row
    client.files_upload_v2(
        channel=dm,
        content=json.dumps(data, indent=2, ensure_ascii=False),
        filename="kettle-my-data.json",
        title="Everything Kettle holds about you",
        initial_comment="Here is everything Kettle holds about you, as JSON.",
    )
