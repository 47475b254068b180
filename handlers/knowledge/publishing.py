"""Consent-gated publishing: a convenor proposes, the author approves or declines, either withdraws."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import waiting
from bot.builders import knowledge as kb
from bot.builders.common import section
from bot.db import unit_of_work
from bot.errors import KettleError
from bot.models import PublicationStatus, utcnow
from bot.schedules import knowledge as sends
from bot.services import knowledge, membership, stories
from bot.services.stories import Place
from bot.text import escape
from handlers.forms import message_of
from handlers.knowledge.story import prompts_, refresh_story_modal, value_id
from handlers.middleware import tell, viewer_of


def on_propose(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Convenor proposes; the author is shown the exact post and asked. Nothing is posted yet."""
    ack()
    viewer = viewer_of(context)
    p = prompts_()
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, viewer.community_id or 0)
        channel = community.movement_channel_id if community else None
        if not channel:
            raise KettleError(p["no_movement_channel"])
        story = stories.get_story(session, value_id(body), community_id=viewer.community_id or 0)
        publication = knowledge.propose(
            session, story, proposer_user_id=viewer.user_id, now=utcnow()
        )
        name = knowledge.author_name(session, story, Place.MOVEMENT)
        blocks = kb.preview_message(story, publication, name=name, channel=channel)
        key = knowledge.message_key(knowledge.PREVIEW, publication.id)
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
    refresh_story_modal(body, client, context)


def on_approve(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The author approves: post in the movement's channel, exactly once."""
    ack()
    user_id = context.user_id or ""
    p = prompts_()
    with unit_of_work(context["db"]) as session:
        publication = knowledge.approve(session, value_id(body), user_id=user_id, now=utcnow())
        story = publication.story
        community = membership.community_by_id(session, story.community_id)
        channel = community.movement_channel_id if community else None
        if not channel:
            raise KettleError(p["no_movement_channel"])
        name = knowledge.author_name(session, story, Place.MOVEMENT)
        blocks = kb.movement_post(story, name=name)
        pub_id, title, proposer = publication.id, story.title, publication.proposed_by
        community_id = story.community_id
    # The ledger notes where the post went as it marks it sent (knowledge.note_publication_post).
    sender = context["sender"]
    outcome = waiting.deliver_or_wait(
        sender,
        knowledge.message_key(knowledge.PUBLICATION_POST, pub_id),
        channel,
        text=f"A story: {escape(title)}",
        blocks=blocks,
    )
    if isinstance(outcome, waiting.Waiting):
        # Kettle is not in the channel (or the like): the post waits in the outbox, goes out
        # once that is mended (sends.publication_released follows it), and people are told.
        _approved_but_waiting(
            body, client, context, outcome, community_id=community_id, title=title
        )
        return
    with unit_of_work(context["db"]) as session:
        publication = knowledge.get_publication(session, pub_id)
        live = publication.status == PublicationStatus.PUBLISHED
        done = kb.published_message(
            p["published"].format(title=escape(title), channel=f"<#{channel}>"), publication
        )
    if not live:
        # Withdrawn while the post was on its way: take it down, and say so.
        if outcome.ts:
            client.chat_delete(channel=channel, ts=outcome.ts)
        tell(body, client, context, p["withdrawn"].format(title=escape(title)))
        return
    dm, ts = message_of(body)
    if dm and ts:
        client.chat_update(channel=dm, ts=ts, text="Published", blocks=done)
    if proposer:
        sender.deliver(
            knowledge.message_key(knowledge.TOLD_PUBLISHED, pub_id),
            proposer,
            text=p["told_convenor_published"].format(title=escape(title), channel=f"<#{channel}>"),
        )


def _approved_but_waiting(
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    blocked: waiting.Waiting,
    *,
    community_id: int,
    title: str,
) -> None:
    """The author hears, in place of the preview they approved, that it waits and why; each
    convenor hears what stops it and exactly how to mend it."""
    author = context.user_id or ""
    waiting.tell_convenors(
        context["sender"],
        context["db"],
        blocked,
        community_id=community_id,
        what=f"<@{author}>'s story *{escape(title)}*",
    )
    text = waiting.actor_sentence(blocked, f"your story *{escape(title)}*")
    if not text:
        return
    dm, ts = message_of(body)
    if dm and ts:
        # With its withdraw button: changing one's mind while it waits means it never goes.
        with unit_of_work(context["db"]) as session:
            publication = knowledge.get_publication(session, value_id(body))
            blocks = kb.published_message(text, publication)
        client.chat_update(channel=dm, ts=ts, text=text, blocks=blocks)
    else:
        tell(body, client, context, text)


def on_decline(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The author says no: the convenor is told once; a no to a story already out changes
    nothing (withdrawing is how it comes back) and says so."""
    ack()
    p = prompts_()
    with unit_of_work(context["db"]) as session:
        publication = knowledge.get_publication(session, value_id(body))
        was_proposed = publication.status == PublicationStatus.PROPOSED
        publication = knowledge.decline(
            session, publication.id, user_id=context.user_id or "", now=utcnow()
        )
        title, proposer = publication.story.title, publication.proposed_by
        status, publication_id = publication.status, publication.id
        channel = publication.channel_id or ""
        if status == PublicationStatus.PUBLISHED:
            text = p["published"].format(title=escape(title), channel=f"<#{channel}>")
            blocks = kb.published_message(text, publication)
        else:
            text = p["declined"].format(title=escape(title))
            blocks = [section(text)]
    dm, ts = message_of(body)
    if dm and ts:
        client.chat_update(channel=dm, ts=ts, text=text, blocks=blocks)
    if was_proposed and status == PublicationStatus.DECLINED and proposer:
        context["sender"].deliver(
            knowledge.message_key(knowledge.TOLD_DECLINED, publication_id),
            proposer,
            text=p["told_convenor_declined"].format(title=escape(title)),
        )


def on_withdraw(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The author (or a convenor) takes back a published story from Kettle's "Published"
    message: every copy in the movement goes, the story stays in the CoP."""
    ack()
    viewer = context.get("viewer")
    is_convenor = bool(viewer is not None and getattr(viewer, "is_convenor", False))
    with unit_of_work(context["db"]) as session:
        story, takedown = knowledge.withdraw(
            session,
            value_id(body),
            user_id=context.user_id or "",
            is_convenor=is_convenor,
            community_id=getattr(viewer, "community_id", None),
            now=utcnow(),
        )
        title = story.title
    _withdrawn(body, client, context, title, takedown)


def on_withdraw_story(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """The same from the story in the library, however it went out (published, or in a
    movement digest only)."""
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        story = stories.get_story(session, value_id(body), community_id=viewer.community_id or 0)
        takedown = knowledge.withdraw_story(
            session,
            story,
            user_id=viewer.user_id,
            is_convenor=viewer.is_convenor,
            community_id=viewer.community_id,
            now=utcnow(),
        )
        title = story.title
    _withdrawn(body, client, context, title, takedown)


def _withdrawn(
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    title: str,
    takedown: knowledge.Takedown,
) -> None:
    sends.take_down(
        context["db"], client, context["sender"], posts=takedown.posts, digests=takedown.digests
    )
    text = prompts_()["withdrawn"].format(title=escape(title))
    dm, msg_ts = message_of(body)
    if body.get("view"):
        tell(body, client, context, text)
        refresh_story_modal(body, client, context)
    elif dm and msg_ts:
        client.chat_update(channel=dm, ts=msg_ts, text=text, blocks=[section(text)])
