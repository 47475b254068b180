"""Call-outs: the CoP asks the wider movement; answers come back as stories, with consent."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import waiting
from bot.builders import knowledge as kb
from bot.builders.common import for_community
from bot.builders.ids import Command, KnowledgeIds
from bot.db import unit_of_work
from bot.errors import InvalidInput, KettleError
from bot.models import CalloutStatus, utcnow
from bot.services import knowledge, membership
from bot.text import escape, truncate
from handlers import registry
from handlers.forms import for_cop, metadata
from handlers.knowledge.story import prompts_, value_id
from handlers.middleware import convenors_only, tell, viewer_of, workspace_users
from handlers.stories.capture import parse_submission


def cop_callout(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    """`/cop callout <question>`: post it in the movement's channel with an Answer button."""
    viewer = viewer_of(context)
    p = prompts_()
    try:
        with unit_of_work(context["db"]) as session:
            community = membership.community_by_id(session, viewer.community_id or 0)
            channel = community.movement_channel_id if community else None
            if community is None or not channel:
                raise KettleError(p["no_movement_channel"])
            callout = knowledge.create_callout(
                session,
                community_id=community.id,
                question=args,
                user_id=viewer.user_id,
                now=utcnow(),
            )
            blocks = kb.callout_message(callout, community=community.name)
            callout_id, question = callout.id, callout.question
    except KettleError as exc:
        ack(response_type="ephemeral", text=exc.user_message)
        return
    ack(response_type="ephemeral", text=p["callout_posted"].format(channel=f"<#{channel}>"))
    # The ledger notes where the post went as it marks it sent (knowledge.note_callout_post).
    outcome = waiting.deliver_or_wait(
        context["sender"],
        knowledge.message_key(knowledge.CALLOUT_POST, callout_id),
        channel,
        text=truncate(f"A question: {escape(question)}", 300),
        blocks=blocks,
    )
    if isinstance(outcome, waiting.Waiting):
        # It waits in the outbox until Kettle can post there; the convenors hear how to mend it.
        waiting.tell_convenors(
            context["sender"],
            context["db"],
            outcome,
            community_id=viewer.community_id or 0,
            what=f"the call-out *{escape(truncate(question, 80))}*",
        )


def on_answer(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Anyone in the movement may answer: open the form (unless the call-out has closed)."""
    ack()
    with unit_of_work(context["db"]) as session:
        callout = knowledge.get_callout(session, value_id(body))
        if callout.status != CalloutStatus.OPEN:
            raise knowledge.CalloutClosed()
        view = kb.answer_modal(callout)
    client.views_open(
        trigger_id=body["trigger_id"], view=for_cop(view, viewer_of(context).community_id)
    )


def on_answer_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    try:
        draft = parse_submission(view, answer=True)
    except InvalidInput as exc:
        ack(response_action="errors", errors=exc.field_errors)
        return
    user = body.get("user") or {}
    user_id = context.user_id or user.get("id") or ""
    callout_id = int(metadata(view).get("callout_id") or 0)
    p = prompts_()
    with unit_of_work(context["db"]) as session:
        callout = knowledge.get_callout(session, callout_id)
        story, created = knowledge.answer_callout(
            session,
            callout,
            responder_user_id=user_id,
            responder_name=str(user.get("name") or user.get("username") or ""),
            draft=draft,
            source_key=f"view:{view['id']}",
            now=utcnow(),
        )
        consent = p["callout_consents"].get(story.consent.value, story.consent.value)
        notice = p["callout_new_answer"].format(
            question=escape(truncate(callout.question, 150)),
            title=escape(story.title),
            consent=consent,
        )
        blocks = kb.new_answer_message(notice, story, callout)
        if membership.several(session):  # a DM: its buttons say which CoP they are for
            blocks = for_community(blocks, callout.community_id)
        convenor, title, story_id = callout.created_by, story.title, story.id
    ack()
    if not created:
        return
    # Both through the ledger, by the story's id: forget-me finds them there to take down.
    sender = context["sender"]
    if convenor:
        sender.deliver(
            knowledge.message_key(knowledge.ANSWER_NOTICE, story_id),
            convenor,
            text=notice,
            blocks=blocks,
        )
    sender.deliver(
        knowledge.message_key(knowledge.ANSWER_THANKS, story_id),
        user_id,
        text=p["callout_thanks"].format(title=escape(title), consent=consent),
    )


def on_close(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        callout = knowledge.close_callout(
            session,
            value_id(body),
            user_id=viewer.user_id,
            is_convenor=viewer.is_convenor,
            community_id=viewer.community_id,
            now=utcnow(),
        )
        community = membership.community_by_id(session, callout.community_id)
        blocks = kb.callout_message(callout, community=community.name if community else "")
        channel, ts, question = callout.channel_id, callout.message_ts, callout.question
        count = knowledge.answer_count(session, callout.id)
    if channel and ts:
        client.chat_update(channel=channel, ts=ts, text="This call-out has closed.", blocks=blocks)
    tell(
        body,
        client,
        context,
        prompts_()["callout_closed"].format(question=escape(truncate(question, 150)), count=count),
    )


def register(app: App) -> None:
    registry.subcommand(
        app,
        Command.COP.value,
        "callout",
        cop_callout,
        access=registry.CONVENOR,
        usage="<question> — ask the wider movement; answers land in the library",
    )
    app.action(KnowledgeIds.ANSWER, middleware=[workspace_users])(on_answer)
    app.view(KnowledgeIds.ANSWER_MODAL, middleware=[workspace_users])(on_answer_submitted)
    app.action(KnowledgeIds.CLOSE_CALLOUT, middleware=[convenors_only])(on_close)
