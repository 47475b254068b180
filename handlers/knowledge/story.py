"""The full story a click away (the library's Read button opens it): the story with its
publication state, and the buttons publishing and curation act on, so it lives with them."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

import prompts
from bot.builders import knowledge as kb
from bot.builders.ids import KnowledgeIds
from bot.db import unit_of_work
from bot.errors import KettleError
from bot.services import knowledge, stories
from bot.services.stories import Place
from bot.text import escape
from handlers.forms import action_value, for_cop, metadata, open_modal
from handlers.middleware import viewer_of


def value_id(body: dict[str, Any]) -> int:
    value = action_value(body)
    if not value.isdigit():
        raise KettleError("That button has lost its way; please open the story again.")
    return int(value)


def prompts_() -> dict[str, Any]:
    return prompts.load("knowledge")


def story_view(session: Any, story_id: int, viewer: Any) -> dict[str, Any]:
    story = stories.get_story(session, story_id, community_id=viewer.community_id or 0)
    author = knowledge.author_user_id(session, story)
    name = knowledge.author_name(session, story, Place.COP) or "a member of the movement"
    answer = knowledge.answer_for(session, story.id)
    picked = knowledge.is_picked(session, story.id)
    publication = knowledge.current_publication(session, story.id)
    return kb.full_story_modal(
        story,
        author_line=f"told by {escape(name)}",
        files=stories.files_of(session, story.id),
        publication=publication,
        changed_since=publication is not None
        and publication.text_sha256 != knowledge.text_fingerprint(story),
        may_publish=stories.may_appear(story, Place.MOVEMENT),
        is_convenor=viewer.is_convenor,
        is_author=author == viewer.user_id,
        picked=picked,
        callout_question=answer.callout.question if answer else None,
        in_movement=knowledge.in_movement(session, story),
    )


def on_read(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        view = story_view(session, value_id(body), viewer)
    open_modal(client, body, for_cop(view, viewer_of(context).community_id))


def refresh_story_modal(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    view = body.get("view") or {}
    if view.get("callback_id") != KnowledgeIds.STORY_MODAL:
        return
    story_id = metadata(view).get("story_id")
    with unit_of_work(context["db"]) as session:
        fresh = story_view(session, int(story_id or 0), viewer_of(context))
    client.views_update(view_id=view["id"], view=for_cop(fresh, viewer_of(context).community_id))
