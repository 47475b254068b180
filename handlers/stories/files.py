"""Straight from the horse's mouth: a member DMs Kettle a voice clip, video or file; Kettle keeps
the bytes in its own storage and offers to turn it into a story.

The listener only notes each file (`pending`) and answers what it can refuse at once (too large,
over the member's room, not stored in Slack); the bytes are fetched after the acknowledgement in
the download pool, never on a listener thread (handlers/stories/fetching.py), and each file ends
kept or failed, its sender told either way.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

import prompts
from bot import delivery, storage
from bot.builders.common import section
from bot.builders.ids import StoryIds
from bot.config import Settings
from bot.db import unit_of_work
from bot.delivery import Sender
from bot.errors import KettleError
from bot.models import FileStatus
from bot.services import membership, stories
from bot.services.membership import Viewer
from bot.services.stories import FileRefused
from bot.text import escape
from handlers import registry
from handlers.forms import action_value, message_of
from handlers.middleware import members_or_choosing, viewer_of
from handlers.stories.capture import open_story_modal
from handlers.stories.fetching import Fetch, ask_if_story, fetch_files, give_up, limits_of

log = logging.getLogger(__name__)

MAX_FILES = 10


def is_member_dm_with_files(event: dict[str, Any], context: BoltContext) -> bool:
    """Only DMs from members that carry files; every other message is left to other listeners."""
    viewer = context.get("viewer")
    return (
        event.get("channel_type") == "im"
        and bool(event.get("files"))
        and event.get("subtype") in (None, "file_share")
        and not event.get("bot_id")
        and isinstance(viewer, Viewer)
        and (viewer.is_member or viewer.undecided)
    )


def _name_of(slack_file: dict[str, Any]) -> str:
    return escape(str(slack_file.get("name") or slack_file.get("title") or "file"))


def _refusal_key(channel: str, ts: object, slack_file: dict[str, Any]) -> str:
    return f"file-refused:{channel}:{ts}:{slack_file.get('id') or ''}"


def on_dm_file(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    settings: Settings = context["settings"]
    viewer = viewer_of(context)
    channel, ts = str(event["channel"]), event.get("ts")
    limits = limits_of(settings)
    kept: list[tuple[int, str]] = []
    to_fetch: list[Fetch] = []
    refusals: list[str] = []
    with unit_of_work(context["db"]) as session:
        # Someone in several CoPs: kept under their first until the story form says which
        # (attaching a file to a story moves it to the story's CoP).
        community_id = (
            viewer.community_id or membership.communities_of(session, viewer.user_id)[0].id
        )
        for slack_file in (event.get("files") or [])[:MAX_FILES]:
            name = _name_of(slack_file)
            url = str(slack_file.get("url_private_download") or "")
            try:
                if url:  # checked now, so a file kept elsewhere is answered at once
                    storage.allowed_url(url, settings.file_hosts)
                row, fetch = stories.record_file(
                    session,
                    community_id=community_id,
                    uploader_user_id=viewer.user_id,
                    slack_file=slack_file,
                    limits=limits,
                    message_text=str(event.get("text") or ""),
                )
            except storage.NotOnSlack as exc:
                refused: KettleError = stories.not_on_slack(name, escape(exc.host))
            except FileRefused as exc:
                refused = exc
            else:
                if fetch:
                    to_fetch.append(Fetch(row.id, name, dict(slack_file), f"{channel}:{ts}"))
                elif row.status == FileStatus.KEPT:
                    kept.append((row.id, row.name))
                continue  # pending without `fetch`: another delivery of it is fetching it
            key = _refusal_key(channel, ts, slack_file)
            delivery.queue(session, key, channel, text=refused.user_message)
            refusals.append(key)
    sender: Sender = context["sender"]
    for key in refusals:
        sender.deliver_queued(key)
    question_key = f"file-question:{channel}:{ts}"
    if to_fetch:
        try:
            context["downloads"].submit(
                fetch_files,
                settings=settings,
                session_factory=context["db"],
                client=client,
                sender=sender,
                channel=channel,
                question_key=question_key,
                kept=kept,
                to_fetch=to_fetch,
            )
        except RuntimeError:  # the pool is shutting down: say so now rather than never
            log.warning("download pool closed; %d file(s) not fetched", len(to_fetch))
            for item in to_fetch:
                give_up(context["db"], sender, channel, item, stories.could_not_fetch(item.name))
    elif kept:
        ask_if_story(context["db"], sender, question_key, channel, kept)


def _file_ids(body: dict[str, Any]) -> list[int]:
    value = action_value(body)
    return [int(part) for part in value.split(",") if part.isdigit()]


def on_file_is_story(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Open the story form with the files attached; only the sender's own files can be."""
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        files = stories.own_unattached_files(session, _file_ids(body), viewer.user_id)
        attached = [(f.id, f.name) for f in files]
        prefill = files[0].message_text if files else ""
        mine = membership.communities_of(session, viewer.user_id) if viewer.undecided else []
    if not attached:
        raise KettleError("Those files are already part of a story, or aren't yours to attach.")
    open_story_modal(
        client,
        body["trigger_id"],
        viewer,
        prefill=prefill,
        channel_id=None,
        files=attached,
        choices=[(c.id, c.name) for c in mine],
    )


def on_file_not_story(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    viewer = viewer_of(context)
    settings = context["settings"]
    with unit_of_work(context["db"]) as session:
        unused = stories.discard_files(session, _file_ids(body), viewer.user_id)
    for sha in unused:
        storage.remove(settings.files_dir, sha)
    channel, ts = message_of(body)
    text = prompts.load("knowledge")["file_kept"]
    if channel and ts:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=[section(text)])


def register(app: App) -> None:
    registry.event(
        app,
        "message",
        on_dm_file,
        middleware=[members_or_choosing],
        matchers=[is_member_dm_with_files],
    )
    app.action(StoryIds.FILE_IS_STORY, middleware=[members_or_choosing])(on_file_is_story)
    app.action(StoryIds.FILE_NOT_STORY, middleware=[members_or_choosing])(on_file_not_story)
