"""/story: open the form, validate it in the modal, store once, confirm, post where allowed."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

import prompts
from bot.builders import knowledge as knowledge_builders
from bot.builders import stories as story_builders
from bot.builders.common import section
from bot.builders.home import stories_section
from bot.builders.ids import Command, HomeIds, KnowledgeIds, StoryIds
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Sender
from bot.errors import InvalidInput
from bot.models import Story, StoryKind
from bot.services import knowledge, membership, stories
from bot.services.membership import Viewer
from bot.services.stories import Place
from bot.text import escape
from handlers import home, registry
from handlers.errors import later
from handlers.middleware import members_only, viewer_of

log = logging.getLogger(__name__)


def _value(values: dict[str, Any], block_id: str) -> Any:
    state = (values.get(block_id) or {}).get(StoryIds.INPUT) or {}
    if "selected_option" in state:
        return (state.get("selected_option") or {}).get("value")
    if "selected_options" in state:
        return [o.get("value") for o in state.get("selected_options") or []]
    return state.get("value")


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


def _author_for_library(story: Story) -> str | None:
    """Inside the CoP every story may carry its teller's name; call-out answers theirs."""
    return story.author.name if story.author is not None else None


def search_reply(session: Session, viewer: Viewer, text: str) -> list[dict[str, Any]]:
    p = prompts.load("knowledge")
    query = stories.parse_query(text)
    if query.is_empty:
        return [section(p["search_usage"])]
    found = stories.search_stories(session, viewer.community_id or 0, query)
    return knowledge_builders.results_blocks(
        [(s, _author_for_library(s)) for s in found],
        heading=p["search_header"].format(query=escape(text)),
        empty=p["search_empty"],
        limit=knowledge_builders.MESSAGE_BLOCK_LIMIT,
    )


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


def parse_submission(view: dict[str, Any]) -> stories.StoryDraft:
    values = view["state"]["values"]
    post = _value(values, StoryIds.POST) or []
    return stories.validate_draft(
        title=_value(values, StoryIds.TITLE),
        body=_value(values, StoryIds.BODY),
        kind=_value(values, StoryIds.KIND),
        consent=_value(values, StoryIds.CONSENT),
        themes=_value(values, StoryIds.THEMES),
        media_url=_value(values, StoryIds.MEDIA_URL),
        post_to_cop=StoryIds.POST_YES.value in post,
        field_ids=story_builders.FIELD_IDS,
    )


def on_story_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    try:
        draft = parse_submission(view)
    except InvalidInput as exc:
        ack(response_action="errors", errors=exc.field_errors)
        return
    session_factory = context["db"]
    # Stored before the acknowledgement so that a failure is reported while the form is open.
    with unit_of_work(session_factory) as session:
        community = membership.community_by_id(session, viewer.community_id or 0)
        author = membership.get_member(session, viewer.community_id or 0, viewer.user_id)
        if community is None or author is None:
            ack(response_action="errors", errors={StoryIds.TITLE: "You're no longer a member."})
            return
        story, created = stories.create_story(
            session,
            community=community,
            author=author,
            draft=draft,
            source_key=f"view:{view['id']}",
        )
        if created:
            file_ids = _metadata(view).get("file_ids") or []
            knowledge.attach_files(
                session, story, [int(i) for i in file_ids if str(i).isdigit()], viewer.user_id
            )
        story_id, cop_channel, title = story.id, community.channel_id, story.title
        community_id = community.id
    ack()
    if not created:
        return

    def after() -> None:
        posted = ""
        if draft.post_to_cop and cop_channel:
            posted = _post_to_cop(
                context["sender"], session_factory, story_id, community_id, cop_channel
            )
        p = prompts.load("stories")
        client.chat_postMessage(
            channel=viewer.user_id,
            text=p["confirmation"].format(title=escape(title), where=posted),
        )
        home.publish_home(client, session_factory, viewer.user_id)

    later(context, body, client, after)


def _post_to_cop(
    sender: Sender, session_factory: SessionFactory, story_id: int, community_id: int, channel: str
) -> str:
    """Post a story in the CoP's own channel, exactly once however often this runs."""
    with unit_of_work(session_factory) as session:
        story = stories.get_story(session, story_id, community_id=community_id)
        if not stories.may_appear(story, Place.COP):
            return ""
        author = story.author.name if story.author else "a member"
        blocks = story_builders.story_blocks(story, author_line=f"shared by {escape(author)}")
        text = story_builders.story_fallback_text(story)
    outcome = sender.deliver(f"story-cop:{story_id}", channel, text=text, blocks=blocks)
    if outcome.ts:
        with unit_of_work(session_factory) as session:
            story = stories.get_story(session, story_id, community_id=community_id)
            stories.record_cop_post(session, story, channel_id=channel, ts=outcome.ts)
    return f" and posted in <#{channel}>"


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def stories_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    mine = stories.stories_by(session, viewer.member_id or 0)
    return stories_section(mine, [])


def library_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    recent = stories.recent_stories(session, viewer.community_id or 0)
    picked = len(knowledge.basket(session, viewer.community_id or 0, knowledge.COP))
    return knowledge_builders.library_section(
        [(s, _author_for_library(s)) for s in recent],
        picked=picked,
        is_convenor=viewer.is_convenor,
    )


# -- browsing the library ----------------------------------------------------------------------


def _search_form(session: Session, viewer: Viewer, results: Any = None) -> dict[str, Any]:
    community_id = viewer.community_id or 0
    return knowledge_builders.search_modal(
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
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _state(values: dict[str, Any], block_id: str) -> Any:
    state = (values.get(block_id) or {}).get(KnowledgeIds.INPUT) or {}
    if "selected_option" in state:
        return (state.get("selected_option") or {}).get("value")
    if "selected_date" in state:
        return state.get("selected_date")
    return state.get("value")


def on_search_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """Search without closing the form: the results replace the modal, the fields stay."""
    viewer = viewer_of(context)
    values = view["state"]["values"]
    parsed = stories.parse_query(_state(values, KnowledgeIds.SEARCH_WORDS))
    theme = _state(values, KnowledgeIds.SEARCH_THEME)
    kind = _state(values, KnowledgeIds.SEARCH_KIND)
    author = _state(values, KnowledgeIds.SEARCH_AUTHOR)
    since_text = _state(values, KnowledgeIds.SEARCH_SINCE)
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
        results = knowledge_builders.results_blocks(
            [(s, _author_for_library(s)) for s in found],
            heading=f"{len(found)} stories",
            empty=p["search_empty"],
            limit=60,
        )
        form = _search_form(session, viewer, results)
    ack(response_action="update", view=form)


def register(app: App) -> None:
    registry.command(app, Command.STORY, on_story_command, middleware=[members_only])
    app.action(HomeIds.SHARE_STORY, middleware=[members_only])(on_share_button)
    app.view(StoryIds.MODAL, middleware=[members_only])(on_story_submitted)
    app.action(KnowledgeIds.SEARCH_BUTTON, middleware=[members_only])(on_search_button)
    app.view(KnowledgeIds.SEARCH_MODAL, middleware=[members_only])(on_search_submitted)
    home.add_section(20, "stories", stories_home_section)
    home.add_section(25, "library", library_home_section)
