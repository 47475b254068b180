"""Someone writes to Kettle in its Messages tab: answer once a day with what Kettle can do."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

import prompts
from bot.db import unit_of_work
from bot.models import utcnow
from bot.services import membership
from bot.services.membership import Viewer
from handlers import registry


def is_plain_dm(event: dict[str, Any]) -> bool:
    """A person's own words in a DM with Kettle; files, threads and edits go elsewhere."""
    return (
        event.get("channel_type") == "im"
        and not event.get("files")
        and event.get("subtype") is None
        and not event.get("bot_id")
        and not event.get("thread_ts")
        and bool(event.get("user"))
    )


def on_plain_dm(event: dict[str, Any], context: BoltContext) -> None:
    viewer = context.get("viewer")
    is_member = isinstance(viewer, Viewer) and viewer.is_member
    if isinstance(viewer, Viewer) and viewer.undecided:  # in several CoPs: a member all the same
        with unit_of_work(context["db"]) as session:
            is_member = bool(membership.communities_of(session, viewer.user_id))
    p = prompts.load("kettle")
    text = p["dm_help_member"] if is_member else p["dm_help_outsider"]
    user_id = event["user"]
    context["sender"].deliver(
        f"dm-help:{user_id}:{utcnow().date().isoformat()}", event["channel"], text=text
    )


def register(app: App) -> None:
    registry.event(app, "message", on_plain_dm, matchers=[is_plain_dm])
