"""Browsing the library: `/story search`, the search form, and the library (and your own
stories) on the App Home."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

import prompts
from bot.builders import stories as story_builders
from bot.builders.common import MESSAGE_BLOCK_LIMIT, section
from bot.builders.home import stories_section
from bot.builders.ids import StoryIds
from bot.db import unit_of_work
from bot.errors import InvalidInput
from bot.models import Story, StoryKind
from bot.services import knowledge, membership, stories
from bot.services.membership import Viewer
from bot.text import escape
from handlers.forms import action_value, for_cop, input_value
from handlers.middleware import viewer_of

HOME_STORIES = 5  # the newest stories on the App Home; "more" pages through the rest
MODAL_RESULTS = 60  # blocks of results under the search form (a modal holds 100)


def _author_for_library(story: Story) -> str | None:
    """Inside the CoP every story may carry its teller's name; call-out answers theirs."""
    return story.author.name if story.author is not None else None


PAGE = stories.SEARCH_LIMIT  # stories on one page of results (a message holds 50 blocks)
QUERY_MAX = 500  # of `/story search` text carried in a "more" button (values hold 2,000)


def _query_of(search: dict[str, Any]) -> stories.LibraryQuery:
    """A search's state (from `/story search`, the form, or a "more" button) as a query."""
    parsed = stories.parse_query(search.get("q"))
    theme, kind, author, since = (search.get(k) for k in ("t", "k", "a", "s"))
    when = None
    if since:
        try:
            when = datetime.fromisoformat(str(since)).replace(tzinfo=UTC)
        except ValueError:
            when = None
    return stories.LibraryQuery(
        words=parsed.words,
        themes=[*parsed.themes, *([str(theme)] if theme else [])],
        kind=StoryKind(str(kind)) if kind in StoryKind._value2member_map_ else None,
        author_id=int(author) if author and str(author).isdigit() else None,
        since=when,
    )


def _search_of_button(body: dict[str, Any]) -> dict[str, Any]:
    """The search a "more" button carries; anything else means it is out of date."""
    try:
        search = json.loads(action_value(body))
    except ValueError:
        search = None
    fields_ok = isinstance(search, dict) and all(
        isinstance(search.get(k), str | type(None)) for k in ("q", "t", "k", "a", "s")
    )
    if not fields_ok or not isinstance(search.get("o"), int) or search["o"] < 0:
        raise InvalidInput("That button is out of date.")
    return search


def _results(
    session: Session, viewer: Viewer, search: dict[str, Any], *, heading: str, limit: int
) -> list[dict[str, Any]]:
    """One page of results, scoped to the viewer's own community whatever the button said."""
    p = prompts.load("knowledge")
    offset = int(search.get("o") or 0)
    page = stories.search_library(
        session, viewer.community_id or 0, _query_of(search), limit=PAGE, offset=offset
    )
    more = None
    if page.more:
        more = json.dumps({**search, "o": offset + len(page.hits)}, separators=(",", ":"))
    if page.hits:
        count = p["search_count"].format(
            total=page.total, first=offset + 1, last=offset + len(page.hits)
        )
        heading = f"{heading}\n{count}" if heading else count
    return story_builders.results_blocks(
        [(h.story, _author_for_library(h.story), h.snippet) for h in page.hits],
        heading=heading or p["search_empty"],
        empty=p["search_empty"],
        limit=limit,
        more=more,
    )


def search_reply(session: Session, viewer: Viewer, text: str) -> list[dict[str, Any]]:
    p = prompts.load("knowledge")
    if stories.parse_query(text).is_empty:
        return [section(p["search_usage"])]
    search: dict[str, Any] = {"q": text[:QUERY_MAX], "o": 0}
    heading = p["search_header"].format(query=escape(text[:QUERY_MAX]))
    return _results(session, viewer, search, heading=heading, limit=MESSAGE_BLOCK_LIMIT)


def stories_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    mine = stories.stories_by(session, viewer.member_id or 0)
    return stories_section(mine, [])


def library_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    """The newest stories, and a button that pages through the rest in the search form."""
    page = stories.search_library(
        session, viewer.community_id or 0, stories.LibraryQuery(), limit=HOME_STORIES
    )
    picked = knowledge.picked_count(session, viewer.community_id or 0)
    more = json.dumps({"q": "", "o": HOME_STORIES}) if page.more else None
    return story_builders.library_section(
        [(h.story, _author_for_library(h.story)) for h in page.hits],
        picked=picked,
        is_convenor=viewer.is_convenor,
        more=more,
    )


def _search_form(session: Session, viewer: Viewer, results: Any = None) -> dict[str, Any]:
    community_id = viewer.community_id or 0
    form = story_builders.search_modal(
        themes=stories.all_themes(session, community_id),
        authors=membership.active_members(session, community_id),
        results=results,
        community_id=community_id,
    )
    return for_cop(form, viewer.community_id)  # its next pages stay with this CoP


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
    search: dict[str, Any] = {
        "q": input_value(values, StoryIds.SEARCH_WORDS),
        "t": input_value(values, StoryIds.SEARCH_THEME),
        "k": input_value(values, StoryIds.SEARCH_KIND),
        "a": input_value(values, StoryIds.SEARCH_AUTHOR),
        "s": input_value(values, StoryIds.SEARCH_SINCE),
        "o": 0,
    }
    search = {k: (str(v) if v is not None and k != "o" else v) for k, v in search.items()}
    with unit_of_work(context["db"]) as session:
        results = _results(session, viewer, search, heading="", limit=MODAL_RESULTS)
        form = _search_form(session, viewer, results)
    ack(response_action="update", view=form)


def on_search_more(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """The next page of a search: in the form it came from, in place of the reply, or (from the
    App Home's library) in the search form, opened on it."""
    ack()
    viewer = viewer_of(context)
    search = _search_of_button(body)
    container = (body.get("view") or {}).get("type")
    with unit_of_work(context["db"]) as session:
        if container in ("modal", "home"):
            results = _results(session, viewer, search, heading="", limit=MODAL_RESULTS)
            form = _search_form(session, viewer, results)
        else:
            p = prompts.load("knowledge")
            heading = p["search_header"].format(query=escape(str(search.get("q") or "")))
            blocks = _results(session, viewer, search, heading=heading, limit=MESSAGE_BLOCK_LIMIT)
    if container == "modal":
        client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=form)
    elif container == "home":  # from the library on the App Home: the form, with the next page
        client.views_open(trigger_id=body["trigger_id"], view=form)
    else:
        respond(text="Story library search", blocks=blocks, replace_original=True)
