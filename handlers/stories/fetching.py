"""A file a member DMs Kettle, fetched after the acknowledgement in the download pool (never on a
listener thread, handlers/stories/files.py): each ends kept in Kettle's own storage or failed,
its sender told either way, and once the kept ones are in, the sender is asked whether they are
a story."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot import delivery, storage
from bot.builders import stories as story_builders
from bot.config import Settings
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Sender
from bot.errors import KettleError
from bot.services import stories
from bot.services.stories import FileLimits

log = logging.getLogger(__name__)


def limits_of(settings: Settings) -> FileLimits:
    return FileLimits(max_bytes=settings.file_max_bytes, quota_bytes=settings.file_quota_bytes)


@dataclass(frozen=True)
class Fetch:
    """A file noted as pending, to fetch: its row, its name, what Slack said of it."""

    file_id: int
    name: str  # escaped, for messages
    slack_file: dict[str, Any]
    source: str  # the message that brought it: channel:ts


def ask_if_story(
    session_factory: SessionFactory,
    sender: Sender,
    key: str,
    channel: str,
    kept: list[tuple[int, str]],
) -> None:
    """Ask once whether the kept files are a story (through the outbox, so it is not lost)."""
    blocks = story_builders.file_question([name for _id, name in kept], [i for i, _name in kept])
    with unit_of_work(session_factory) as session:
        delivery.queue(session, key, channel, text="Is this a story?", blocks=blocks)
    sender.deliver_queued(key)


def fetch_files(
    *,
    settings: Settings,
    session_factory: SessionFactory,
    client: WebClient,
    sender: Sender,
    channel: str,
    question_key: str,
    kept: list[tuple[int, str]],
    to_fetch: list[Fetch],
) -> None:
    """In the download pool: fetch each pending file, then ask once about all that were kept."""
    kept = list(kept)
    for item in to_fetch:
        try:
            name = fetch_one(settings, session_factory, client, sender, channel, item)
        except Exception:
            log.exception("could not keep file %s", item.file_id)
            name = None
            give_up(session_factory, sender, channel, item, stories.could_not_fetch(item.name))
        if name is not None:
            kept.append((item.file_id, name))
    if kept:
        try:
            ask_if_story(session_factory, sender, question_key, channel, kept)
        except Exception:
            log.exception("could not ask about kept files yet; the outbox will")


def fetch_one(
    settings: Settings,
    session_factory: SessionFactory,
    client: WebClient,
    sender: Sender,
    channel: str,
    item: Fetch,
) -> str | None:
    """Fetch one pending file into the store; returns its name once kept, None otherwise (its
    sender is told why)."""
    limits = limits_of(settings)
    with unit_of_work(session_factory) as session:
        limit = stories.fetch_limit(session, item.file_id, limits)
    if limit is None:
        return None  # forgotten, or given up on, while it waited
    slack_file = item.slack_file
    try:
        if not slack_file.get("url_private_download"):
            slack_file = client.files_info(file=slack_file["id"])["file"]
        declared = slack_file.get("size")
        if isinstance(declared, int) and declared > limit.max_bytes:
            raise storage.TooLarge(limit.max_bytes)
        got = storage.fetch(
            settings.files_dir,
            str(slack_file.get("url_private_download") or ""),
            client.token or settings.bot_token,  # the workspace's own token
            hosts=settings.file_hosts,
            max_bytes=limit.max_bytes,
        )
    except storage.NotOnSlack as exc:
        give_up(session_factory, sender, channel, item, stories.not_on_slack(item.name, exc.host))
        return None
    except storage.TooLarge:
        refused = (
            stories.over_quota(item.name, limit.used, limits_of(settings))
            if limit.by_quota
            else stories.too_large(item.name, limits_of(settings))
        )
        give_up(session_factory, sender, channel, item, refused)
        return None
    except Exception as exc:
        log.warning("could not fetch file %s: %s", item.file_id, exc)
        give_up(session_factory, sender, channel, item, stories.could_not_fetch(item.name))
        return None
    with unit_of_work(session_factory) as session:
        done = stories.complete_file(session, item.file_id, sha256=got.sha256, size=got.size)
        unwanted = not done and not stories.sha_in_use(session, got.sha256)
    if unwanted:
        storage.remove(settings.files_dir, got.sha256)
    return str(slack_file.get("name") or slack_file.get("title") or "file")[:255] if done else None


def give_up(
    session_factory: SessionFactory,
    sender: Sender,
    channel: str,
    item: Fetch,
    refused: KettleError,
) -> None:
    key = f"file-failed:{item.file_id}:{item.source}"
    with unit_of_work(session_factory) as session:
        row = stories.fail_file(session, item.file_id)
        if row is not None:
            delivery.queue(session, key, channel, text=refused.user_message)
    if row is not None:
        sender.deliver_queued(key)
