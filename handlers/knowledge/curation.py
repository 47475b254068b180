"""Curation: picking stories for the digest, and quick-fire tips."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.builders import knowledge as kb
from bot.builders.ids import KnowledgeIds
from bot.db import unit_of_work
from bot.errors import KettleError
from bot.models import utcnow
from bot.schedules import knowledge as sends
from bot.services import knowledge, stories
from bot.text import escape
from handlers.forms import for_cop, input_value, metadata, open_modal
from handlers.knowledge.story import prompts_, refresh_story_modal, value_id
from handlers.middleware import tell, viewer_of


def on_pick(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    picking = (body.get("actions") or [{}])[0].get("action_id") == KnowledgeIds.PICK
    with unit_of_work(context["db"]) as session:
        story = stories.get_story(session, value_id(body), community_id=viewer.community_id or 0)
        if picking:
            knowledge.pick(session, story, user_id=viewer.user_id, now=utcnow())
        else:
            knowledge.unpick(session, story.id)
        title = story.title
    word = "picked" if picking else "unpicked"
    tell(body, client, context, prompts_()[word].format(title=escape(title)))
    refresh_story_modal(body, client, context)


def on_tip_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        story = stories.get_story(session, value_id(body), community_id=viewer.community_id or 0)
        view = kb.tip_modal(story)
    open_modal(client, body, for_cop(view, viewer_of(context).community_id))


def on_tip_submitted(ack: Ack, view: dict[str, Any], context: BoltContext) -> None:
    viewer = viewer_of(context)
    text = input_value(view["state"]["values"], KnowledgeIds.TIP_TEXT)
    story_id = metadata(view).get("story_id")
    try:
        with unit_of_work(context["db"]) as session:
            story = (
                stories.get_story(session, int(story_id), community_id=viewer.community_id or 0)
                if story_id
                else None
            )
            knowledge.add_tip(
                session,
                community_id=viewer.community_id or 0,
                text=text or "",
                user_id=viewer.user_id,
                story=story,
                now=utcnow(),
            )
    except KettleError as exc:
        ack(response_action="errors", errors={KnowledgeIds.TIP_TEXT: exc.user_message})
        return
    ack()


def cop_tip(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    try:
        with unit_of_work(context["db"]) as session:
            knowledge.add_tip(
                session,
                community_id=viewer.community_id or 0,
                text=args,
                user_id=viewer.user_id,
                now=utcnow(),
            )
    except KettleError as exc:
        ack(response_type="ephemeral", text=exc.user_message)
        return
    ack(response_type="ephemeral", text=prompts_()["tip_added"])


def cop_tips(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    ack()
    viewer = viewer_of(context)
    count, channel = sends.post_tips(
        context["db"],
        context["sender"],
        community_id=viewer.community_id or 0,
        key=f"tips:{viewer.community_id}:{body.get('trigger_id')}",
    )
    p = prompts_()
    tell(
        body,
        client,
        context,
        p["tips_empty"] if not count else f"Posted {count} tips in <#{channel}>.",
    )
