"""Straight from the horse's mouth: a member DMs Kettle a voice clip, video or file; Kettle keeps
the bytes in its own storage and offers to turn it into a story."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

import prompts
from bot import storage
from bot.builders import knowledge as kb
from bot.builders.common import section
from bot.builders.ids import KnowledgeIds
from bot.db import unit_of_work
from bot.errors import KettleError
from bot.services import knowledge
from bot.services.membership import Viewer
from bot.text import escape
from handlers import registry
from handlers.forms import action_value, message_of
from handlers.middleware import members_only, viewer_of
from handlers.stories import open_story_modal

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
        and viewer.is_member
    )


def on_dm_file(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    settings = context["settings"]
    viewer = viewer_of(context)
    p = prompts.load("knowledge")
    kept: list[tuple[int, str]] = []
    for slack_file in (event.get("files") or [])[:MAX_FILES]:
        name = str(slack_file.get("name") or slack_file.get("title") or "file")
        try:
            if not slack_file.get("url_private_download"):
                slack_file = client.files_info(file=slack_file["id"])["file"]
            data = storage.download(slack_file["url_private_download"], settings.bot_token)
            sha = storage.put(settings.files_dir, data)
        except Exception:
            log.exception("could not keep file %s from %s", slack_file.get("id"), viewer.user_id)
            client.chat_postMessage(
                channel=event["channel"], text=p["file_failed"].format(name=escape(name))
            )
            continue
        with unit_of_work(context["db"]) as session:
            row = knowledge.record_file(
                session,
                community_id=viewer.community_id or 0,
                uploader_user_id=viewer.user_id,
                slack_file=slack_file,
                sha256=sha,
                size=len(data),
                message_text=str(event.get("text") or ""),
            )
            kept.append((row.id, row.name))
    if not kept:
        return
    blocks = kb.file_question([name for _id, name in kept], [i for i, _name in kept])
    context["sender"].deliver(
        f"file-question:{event['channel']}:{event.get('ts')}",
        event["channel"],
        text="Is this a story?",
        blocks=blocks,
    )


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
        files = knowledge.own_unattached_files(session, _file_ids(body), viewer.user_id)
        attached = [(f.id, f.name) for f in files]
        prefill = files[0].message_text if files else ""
    if not attached:
        raise KettleError("Those files are already part of a story, or aren't yours to attach.")
    open_story_modal(
        client, body["trigger_id"], viewer, prefill=prefill, channel_id=None, files=attached
    )


def on_file_not_story(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    viewer = viewer_of(context)
    settings = context["settings"]
    with unit_of_work(context["db"]) as session:
        unused = knowledge.discard_files(session, _file_ids(body), viewer.user_id)
    for sha in unused:
        storage.remove(settings.files_dir, sha)
    channel, ts = message_of(body)
    text = prompts.load("knowledge")["file_kept"]
    if channel and ts:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=[section(text)])


def register(app: App) -> None:
    registry.event(
        app, "message", on_dm_file, middleware=[members_only], matchers=[is_member_dm_with_files]
    )
    app.action(KnowledgeIds.FILE_IS_STORY, middleware=[members_only])(on_file_is_story)
    app.action(KnowledgeIds.FILE_NOT_STORY, middleware=[members_only])(on_file_not_story)
