"""Browsing the library: `/story search`, the search form, and the library (and your own
stories) on the App Home."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

import prompts
from bot.builders import stories as story_builders
from bot.builders.common import MESSAGE_BLOCK_LIMIT, section
from bot.builders.home import stories_section
from bot.builders.ids import StoryIds
from bot.db import unit_of_work
from bot.models import Story, StoryKind
from bot.services import knowledge, membership, stories
from bot.services.membership import Viewer
from bot.text import escape
from handlers.forms import for_cop, input_value
from handlers.middleware import viewer_of


def _author_for_library(story: Story) -> str | None:
    """Inside the CoP every story may carry its teller's name; call-out answers theirs."""
    return story.author.name if story.author is not None else None


def search_reply(session: Session, viewer: Viewer, text: str) -> list[dict[str, Any]]:
    p = prompts.load("knowledge")
    query = stories.parse_query(text)
    if query.is_empty:
        return [section(p["search_usage"])]
    found = stories.search_stories(session, viewer.community_id or 0, query)
    return story_builders.results_blocks(
        [(s, _author_for_library(s)) for s in found],
        heading=p["search_header"].format(query=escape(text)),
        empty=p["search_empty"],
        limit=MESSAGE_BLOCK_LIMIT,
    )


def stories_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    mine = stories.stories_by(session, viewer.member_id or 0)
    return stories_section(mine, [])


def library_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    recent = stories.recent_stories(session, viewer.community_id or 0)
    picked = len(knowledge.basket(session, viewer.community_id or 0, knowledge.COP))
    return story_builders.library_section(
        [(s, _author_for_library(s)) for s in recent],
        picked=picked,
        is_convenor=viewer.is_convenor,
    )


def _search_form(session: Session, viewer: Viewer, results: Any = None) -> dict[str, Any]:
    community_id = viewer.community_id or 0
    return story_builders.search_modal(
        themes=stories.all_themes(session, community_id),
        authors=membership.active_members(session, community_id),
        results=results,
        community_id=community_id,
    )


def on_search_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        view = _search_form(session, viewer)
    client.views_open(trigger_id=body["trigger_id"], view=for_cop(view, viewer.community_id))


def on_search_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """Search without closing the form: the results replace the modal, the fields stay."""
    viewer = viewer_of(context)
    values = view["state"]["values"]
    parsed = stories.parse_query(input_value(values, StoryIds.SEARCH_WORDS))
    theme = input_value(values, StoryIds.SEARCH_THEME)
    kind = input_value(values, StoryIds.SEARCH_KIND)
    author = input_value(values, StoryIds.SEARCH_AUTHOR)
    since_text = input_value(values, StoryIds.SEARCH_SINCE)
    since = None
    if since_text:
        try:
            since = datetime.fromisoformat(since_text).replace(tzinfo=UTC)
        except ValueError:
            since = None
    query = stories.LibraryQuery(
        words=parsed.words,
        themes=[*parsed.themes, *([theme] if theme else [])],
        kind=StoryKind(kind) if kind in StoryKind._value2member_map_ else None,
        author_id=int(author) if author and str(author).isdigit() else None,
        since=since,
    )
    p = prompts.load("knowledge")
    with unit_of_work(context["db"]) as session:
        found = stories.search_stories(session, viewer.community_id or 0, query)
        results = story_builders.results_blocks(
            [(s, _author_for_library(s)) for s in found],
            heading=f"{len(found)} stories",
            empty=p["search_empty"],
            limit=60,
        )
        form = _search_form(session, viewer, results)
    ack(response_action="update", view=form)
