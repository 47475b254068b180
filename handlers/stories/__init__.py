"""Stories: `/story` opens the story form (or searches the library); the form and its
submission, the library, and the files members send Kettle each have their module, registered
from here."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.builders.ids import Command, HomeIds, StoryIds
from bot.db import unit_of_work
from bot.services import membership
from handlers import home, registry
from handlers.middleware import ask_which, members_only, members_or_choosing, viewer_of
from handlers.stories import files
from handlers.stories.capture import on_share_button, on_story_submitted, open_story_modal
from handlers.stories.library import (
    library_home_section,
    on_search_button,
    on_search_submitted,
    search_reply,
    stories_home_section,
)


def on_story_command(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    text = (body.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    viewer = viewer_of(context)
    if word.lower() == "search":
        with unit_of_work(context["db"]) as session:
            if viewer.undecided:
                raise ask_which(session, viewer)
            blocks = search_reply(session, viewer, rest.strip())
        ack(response_type="ephemeral", text="Story library search", blocks=blocks)
        return
    choices = []
    if viewer.undecided:
        with unit_of_work(context["db"]) as session:
            choices = [(c.id, c.name) for c in membership.communities_of(session, viewer.user_id)]
    ack()
    open_story_modal(
        client,
        body["trigger_id"],
        viewer,
        prefill=body.get("text", ""),
        channel_id=body.get("channel_id"),
        choices=choices,
    )


def register(app: App) -> None:
    registry.command(app, Command.STORY, on_story_command, middleware=[members_or_choosing])
    app.action(HomeIds.SHARE_STORY, middleware=[members_only])(on_share_button)
    app.view(StoryIds.MODAL, middleware=[members_only])(on_story_submitted)
    app.action(StoryIds.SEARCH_BUTTON, middleware=[members_only])(on_search_button)
    app.view(StoryIds.SEARCH_MODAL, middleware=[members_only])(on_search_submitted)
    home.add_section(20, "stories", stories_home_section)
    home.add_section(25, "library", library_home_section)
    files.register(app)
