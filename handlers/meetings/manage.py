"""Convenors manage meetings: `/meeting`, `/meeting list|edit|cancel` and the Edit/Cancel buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

import prompts
from bot.builders import meetings as builders
from bot.db import unit_of_work
from bot.errors import InvalidInput
from bot.models import utcnow
from bot.schedules.meetings import publish_post
from bot.services import meetings as svc
from bot.text import escape
from handlers.forms import action_value
from handlers.meetings.form import open_form
from handlers.middleware import tell, viewer_of


def _meeting_id(args: str) -> int:
    word = args.strip().lstrip("#")
    if not word.isdigit():
        raise InvalidInput("Which meeting? `/meeting list` shows their numbers.")
    return int(word)


def on_meeting_form(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    ack()
    open_form(client, body["trigger_id"], context, None)


def on_meeting_list(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        items = svc.upcoming(session, viewer.community_id or 0, now=utcnow())
        blocks = builders.meeting_list(items, convenor=viewer.is_convenor)
    ack(response_type="ephemeral", text="Upcoming meetings", blocks=blocks)


def on_meeting_edit(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    meeting_id = _meeting_id(args)
    ack()
    open_form(client, body["trigger_id"], context, meeting_id)


def on_meeting_cancel(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    meeting_id = _meeting_id(args)
    ack()
    _cancel(client, body, context, meeting_id)


def _cancel(client: WebClient, body: dict[str, Any], context: BoltContext, meeting_id: int) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        meeting = svc.get_meeting(session, meeting_id, community_id=viewer.community_id or 0)
        changed = svc.cancel_meeting(session, meeting)
        title = meeting.title
    if changed:
        publish_post(client, context["db"], context["sender"], meeting_id, now=utcnow())
    tell(
        body,
        client,
        context,
        prompts.load("meetings")["texts"]["cancelled_ok"].format(title=escape(title)),
    )


def on_edit_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    open_form(client, body["trigger_id"], context, _meeting_id(action_value(body)))


def on_cancel_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    _cancel(client, body, context, _meeting_id(action_value(body)))
