"""/story: open the story form (or search the library); the form's submission and the library
have their own modules, registered from here."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.builders import stories as story_builders
from bot.builders.home import stories_section
from bot.builders.ids import Command, HomeIds, KnowledgeIds, StoryIds
from bot.db import unit_of_work
from bot.services import stories
from bot.services.membership import Viewer
from handlers import home, registry
from handlers.middleware import members_only, viewer_of
from handlers.stories_library import (
    library_home_section,
    on_search_button,
    on_search_submitted,
    search_reply,
)
from handlers.stories_submit import on_story_submitted


def open_story_modal(
    client: WebClient,
    trigger_id: str,
    viewer: Viewer,
    *,
    prefill: str,
    channel_id: str | None,
    files: list[tuple[int, str]] | None = None,
) -> None:
    view = story_builders.story_modal(
        prefill=prefill,
        community_id=viewer.community_id or 0,
        channel_id=channel_id,
        files=files or [],
    )
    client.views_open(trigger_id=trigger_id, view=view)


def on_story_command(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    text = (body.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    if word.lower() == "search":
        viewer = viewer_of(context)
        with unit_of_work(context["db"]) as session:
            blocks = search_reply(session, viewer, rest.strip())
        ack(response_type="ephemeral", text="Story library search", blocks=blocks)
        return
    ack()
    open_story_modal(
        client,
        body["trigger_id"],
        viewer_of(context),
        prefill=body.get("text", ""),
        channel_id=body.get("channel_id"),
    )


def on_share_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    open_story_modal(client, body["trigger_id"], viewer_of(context), prefill="", channel_id=None)


def stories_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    mine = stories.stories_by(session, viewer.member_id or 0)
    return stories_section(mine, [])


def register(app: App) -> None:
    registry.command(app, Command.STORY, on_story_command, middleware=[members_only])
    app.action(HomeIds.SHARE_STORY, middleware=[members_only])(on_share_button)
    app.view(StoryIds.MODAL, middleware=[members_only])(on_story_submitted)
    app.action(KnowledgeIds.SEARCH_BUTTON, middleware=[members_only])(on_search_button)
    app.view(KnowledgeIds.SEARCH_MODAL, middleware=[members_only])(on_search_submitted)
    home.add_section(20, "stories", stories_home_section)
    home.add_section(25, "library", library_home_section)
