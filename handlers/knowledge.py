"""Knowledge: the full story a click away, consent-gated publishing, curation, tips, blog, health.

Call-outs and files sent by DM live in handlers/knowledge_movement.py and handlers/knowledge_files.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_sdk import WebClient

import prompts
from bot.builders import knowledge as kb
from bot.builders.common import section
from bot.builders.ids import Command, KnowledgeIds
from bot.db import unit_of_work
from bot.errors import KettleError
from bot.models import PublicationStatus, utcnow
from bot.schedules import knowledge as sends
from bot.services import knowledge, membership, stories
from bot.services.stories import Place
from bot.text import escape
from handlers import registry
from handlers.middleware import convenors_only, members_only, tell, viewer_of

log = logging.getLogger(__name__)


def workspace_users(
    body: dict[str, Any], context: BoltContext, next: Callable[[], None]
) -> BoltResponse | None:
    """For what reaches beyond the CoP (answering a call-out, approving one's own story): anyone
    in the workspace may press; the service decides what their press may change."""
    if context.user_id:
        return next()  # type: ignore[func-returns-value]
    return BoltResponse(status=200, body="")


def _value_id(body: dict[str, Any]) -> int:
    value = str((body.get("actions") or [{}])[0].get("value") or "")
    if not value.isdigit():
        raise KettleError("That button has lost its way; please open the story again.")
    return int(value)


def _p() -> dict[str, Any]:
    return prompts.load("knowledge")


# -- the full story ----------------------------------------------------------------------------


def story_view(session: Any, story_id: int, viewer: Any) -> dict[str, Any]:
    story = stories.get_story(session, story_id, community_id=viewer.community_id or 0)
    author = knowledge.author_user_id(session, story)
    name = knowledge.author_name(session, story, Place.COP) or "a member of the movement"
    answer = knowledge.answer_for(session, story.id)
    picked = knowledge.is_picked(session, story.id)
    return kb.full_story_modal(
        story,
        author_line=f"told by {escape(name)}",
        files=knowledge.files_of(session, story.id),
        publication=knowledge.current_publication(session, story.id),
        may_publish=stories.may_appear(story, Place.MOVEMENT),
        is_convenor=viewer.is_convenor,
        is_author=author == viewer.user_id,
        picked=picked,
        callout_question=answer.callout.question if answer else None,
    )


def on_read(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        view = story_view(session, _value_id(body), viewer)
    if body.get("view", {}).get("type") == "modal":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def _refresh_story_modal(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    view = body.get("view") or {}
    if view.get("callback_id") != KnowledgeIds.STORY_MODAL:
        return
    story_id = json.loads(view.get("private_metadata") or "{}").get("story_id")
    with unit_of_work(context["db"]) as session:
        fresh = story_view(session, int(story_id), viewer_of(context))
    client.views_update(view_id=view["id"], view=fresh)


# -- publishing --------------------------------------------------------------------------------


def on_propose(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Convenor proposes; the author is shown the exact post and asked. Nothing is posted yet."""
    ack()
    viewer = viewer_of(context)
    p = _p()
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, viewer.community_id or 0)
        channel = community.movement_channel_id if community else None
        if not channel:
            raise KettleError(p["no_movement_channel"])
        story = stories.get_story(session, _value_id(body), community_id=viewer.community_id or 0)
        publication = knowledge.propose(
            session, story, proposer_user_id=viewer.user_id, now=utcnow()
        )
        name = knowledge.author_name(session, story, Place.MOVEMENT)
        blocks = kb.preview_message(story, publication, name=name, channel=channel)
        key = f"publication-preview:{publication.id}"
        author, title = publication.author_user_id, story.title
        status = publication.status
    if status == PublicationStatus.PROPOSED:
        context["sender"].deliver(key, author, text=f"May we share {escape(title)}?", blocks=blocks)
    tell(
        body,
        client,
        context,
        p["propose_sent"].format(
            author=f"<@{author}>", title=escape(title), channel=f"<#{channel}>"
        ),
    )
    _refresh_story_modal(body, client, context)


def _message_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    container = body.get("container") or {}
    return container.get("channel_id"), container.get("message_ts")


def on_approve(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The author approves: post in the movement's channel, exactly once."""
    ack()
    user_id = context.user_id or ""
    p = _p()
    with unit_of_work(context["db"]) as session:
        publication = knowledge.approve(session, _value_id(body), user_id=user_id, now=utcnow())
        story = publication.story
        community = membership.community_by_id(session, story.community_id)
        channel = community.movement_channel_id if community else None
        if not channel:
            raise KettleError(p["no_movement_channel"])
        name = knowledge.author_name(session, story, Place.MOVEMENT)
        blocks = kb.movement_post(story, name=name)
        pub_id, title, proposer = publication.id, story.title, publication.proposed_by
    outcome = context["sender"].deliver(
        f"publication:{pub_id}", channel, text=f"A story: {escape(title)}", blocks=blocks
    )
    with unit_of_work(context["db"]) as session:
        publication = knowledge.get_publication(session, pub_id)
        if outcome.ts:
            knowledge.record_published(session, publication, channel=channel, ts=outcome.ts)
        done = kb.published_message(
            p["published"].format(title=escape(title), channel=f"<#{channel}>"), publication
        )
    dm, ts = _message_of(body)
    if dm and ts:
        client.chat_update(channel=dm, ts=ts, text="Published", blocks=done)
    if outcome.sent:
        client.chat_postMessage(
            channel=proposer,
            text=p["told_convenor_published"].format(title=escape(title), channel=f"<#{channel}>"),
        )


def on_decline(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    p = _p()
    with unit_of_work(context["db"]) as session:
        publication = knowledge.decline(
            session, _value_id(body), user_id=context.user_id or "", now=utcnow()
        )
        title, proposer = publication.story.title, publication.proposed_by
    dm, ts = _message_of(body)
    text = p["declined"].format(title=escape(title))
    if dm and ts:
        client.chat_update(channel=dm, ts=ts, text=text, blocks=[section(text)])
    client.chat_postMessage(
        channel=proposer, text=p["told_convenor_declined"].format(title=escape(title))
    )


def on_withdraw(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The author (or a convenor) takes the story back: the post goes, the story stays in the CoP."""
    ack()
    user_id = context.user_id or ""
    viewer = context.get("viewer")
    is_convenor = bool(viewer is not None and getattr(viewer, "is_convenor", False))
    p = _p()
    with unit_of_work(context["db"]) as session:
        publication, channel, ts = knowledge.withdraw(
            session, _value_id(body), user_id=user_id, is_convenor=is_convenor, now=utcnow()
        )
        title = publication.story.title
    if channel and ts:
        client.chat_delete(channel=channel, ts=ts)
    text = p["withdrawn"].format(title=escape(title))
    dm, msg_ts = _message_of(body)
    if body.get("view"):
        tell(body, client, context, text)
        _refresh_story_modal(body, client, context)
    elif dm and msg_ts:
        client.chat_update(channel=dm, ts=msg_ts, text=text, blocks=[section(text)])


# -- curation ----------------------------------------------------------------------------------


def on_pick(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    picking = (body.get("actions") or [{}])[0].get("action_id") == KnowledgeIds.PICK
    with unit_of_work(context["db"]) as session:
        story = stories.get_story(session, _value_id(body), community_id=viewer.community_id or 0)
        if picking:
            knowledge.pick(session, story, user_id=viewer.user_id, now=utcnow())
        else:
            knowledge.unpick(session, story.id)
        title = story.title
    word = "picked" if picking else "unpicked"
    tell(body, client, context, _p()[word].format(title=escape(title)))
    _refresh_story_modal(body, client, context)


def on_tip_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        story = stories.get_story(session, _value_id(body), community_id=viewer.community_id or 0)
        view = kb.tip_modal(story)
    if body.get("view", {}).get("type") == "modal":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def on_tip_submitted(ack: Ack, view: dict[str, Any], context: BoltContext) -> None:
    viewer = viewer_of(context)
    text = (view["state"]["values"].get(KnowledgeIds.TIP_TEXT, {}).get(KnowledgeIds.INPUT, {})).get(
        "value"
    )
    story_id = json.loads(view.get("private_metadata") or "{}").get("story_id")
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
    ack(response_type="ephemeral", text=_p()["tip_added"])


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
    p = _p()
    tell(
        body,
        client,
        context,
        p["tips_empty"] if not count else f"Posted {count} tips in <#{channel}>.",
    )


def cop_digest(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    """`/cop digest` to the CoP; `/cop digest movement` to the movement, consent permitting."""
    ack()
    viewer = viewer_of(context)
    audience = knowledge.MOVEMENT if args.strip().lower().startswith("movement") else knowledge.COP
    count, channel = sends.digest_now(
        context["db"],
        context["sender"],
        community_id=viewer.community_id or 0,
        audience=audience,
        key=f"digest:{viewer.community_id}:{audience}:{body.get('trigger_id')}",
        user_id=viewer.user_id,
        now=utcnow(),
    )
    p = _p()
    if not count:
        tell(body, client, context, p["digest_empty"])
    else:
        tell(body, client, context, p["digest_posted"].format(count=count, channel=f"<#{channel}>"))


def cop_blog(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    """A Markdown blog draft of the picked stories, uploaded to the convenor as a file."""
    ack()
    viewer = viewer_of(context)
    p = _p()
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, viewer.community_id or 0)
        if community is None:
            return
        draft = knowledge.blog_draft(session, community, now=utcnow())
    kept = p["blog_kept"].format(count=draft.kept_in_cop) if draft.kept_in_cop else ""
    sends.upload_to(
        client,
        context["sender"],
        viewer.user_id,
        content=draft.markdown,
        filename=draft.filename,
        title="Blog draft",
        comment=p["blog_comment"].format(count=draft.included, kept=kept),
    )


def cop_health(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    ack(
        response_type="ephemeral",
        text="Working out the CoP's health; the chart will arrive in our DM.",
    )
    viewer = viewer_of(context)
    sends.send_health(
        context["db"],
        context["sender"],
        client,
        community_id=viewer.community_id or 0,
        user_ids=[viewer.user_id],
        now=utcnow(),
    )


def register(app: App) -> None:
    from handlers import knowledge_files, knowledge_movement

    app.action(KnowledgeIds.READ, middleware=[members_only])(on_read)
    app.action(KnowledgeIds.PROPOSE, middleware=[convenors_only])(on_propose)
    app.action(KnowledgeIds.APPROVE, middleware=[workspace_users])(on_approve)
    app.action(KnowledgeIds.DECLINE, middleware=[workspace_users])(on_decline)
    app.action(KnowledgeIds.WITHDRAW, middleware=[workspace_users])(on_withdraw)
    app.action(KnowledgeIds.PICK, middleware=[convenors_only])(on_pick)
    app.action(KnowledgeIds.UNPICK, middleware=[convenors_only])(on_pick)
    app.action(KnowledgeIds.TIP_BUTTON, middleware=[convenors_only])(on_tip_button)
    app.view(KnowledgeIds.TIP_MODAL, middleware=[convenors_only])(on_tip_submitted)
    cop = Command.COP.value
    registry.subcommand(
        app,
        cop,
        "digest",
        cop_digest,
        access=registry.CONVENOR,
        usage="[movement] — post the picked stories to the CoP (or the movement)",
    )
    registry.subcommand(
        app,
        cop,
        "tip",
        cop_tip,
        access=registry.CONVENOR,
        usage="<one line> — add a quick-fire tip",
    )
    registry.subcommand(
        app,
        cop,
        "tips",
        cop_tips,
        access=registry.CONVENOR,
        usage="— post the quick-fire tips roundup to the CoP",
    )
    registry.subcommand(
        app,
        cop,
        "blog",
        cop_blog,
        access=registry.CONVENOR,
        usage="— a Markdown blog draft of the picked stories, sent to you",
    )
    registry.subcommand(
        app,
        cop,
        "health",
        cop_health,
        access=registry.CONVENOR,
        usage="— the CoP's health: chart and summary, sent to you",
    )
    knowledge_movement.register(app)
    knowledge_files.register(app)
