"""Capturing a story: the form (from `/story`, the App Home or files sent by DM) and its
submission: validate in the modal, store once, confirm, post where allowed."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

import prompts
from bot import waiting
from bot.builders import stories as story_builders
from bot.builders.ids import StoryIds
from bot.db import autocommitted, unit_of_work
from bot.delivery import Sender, queue
from bot.errors import InvalidInput
from bot.models import Story
from bot.services import stories
from bot.services.membership import Viewer
from bot.services.stories import Place
from bot.text import escape
from handlers import home
from handlers.errors import later
from handlers.forms import for_cop, input_value, metadata
from handlers.middleware import viewer_of


def open_story_modal(
    client: WebClient,
    trigger_id: str,
    viewer: Viewer,
    *,
    prefill: str,
    channel_id: str | None,
    files: list[tuple[int, str]] | None = None,
    choices: list[tuple[int, str]] | None = None,
    from_home: bool = False,
) -> None:
    view = story_builders.story_modal(
        prefill=prefill,
        community_id=viewer.community_id or 0,
        channel_id=channel_id,
        files=files or [],
        choices=choices or [],
        from_home=from_home,
    )
    client.views_open(trigger_id=trigger_id, view=for_cop(view, viewer.community_id))


def on_share_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    open_story_modal(
        client, body["trigger_id"], viewer_of(context), prefill="", channel_id=None, from_home=True
    )


def parse_submission(view: dict[str, Any], *, answer: bool = False) -> stories.StoryDraft:
    """The story's fields, checked (InvalidInput names each field to mend); a call-out
    `answer` has the same fields but no link and no post in the CoP."""
    values = view["state"]["values"]
    post = [] if answer else input_value(values, StoryIds.POST) or []
    return stories.validate_draft(
        title=input_value(values, StoryIds.TITLE),
        body=input_value(values, StoryIds.BODY),
        kind=input_value(values, StoryIds.KIND),
        consent=input_value(values, StoryIds.CONSENT),
        themes=input_value(values, StoryIds.THEMES),
        media_url=None if answer else input_value(values, StoryIds.MEDIA_URL),
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
    source_key = f"view:{view['id']}"
    if viewer.member_id is None or viewer.community_id is None:
        ack(response_action="errors", errors={StoryIds.TITLE: "You're no longer a member."})
        return
    community_id = viewer.community_id
    opened = metadata(view)
    file_ids = opened.get("file_ids") or []
    posted = False
    story_id: int | None
    if not file_ids and not draft.post_to_cop:
        # The story and its thank-you, nothing else: one statement on PostgreSQL.
        with autocommitted(session_factory) as session:
            story_id = stories.store_with_thanks(
                session,
                community_id=community_id,
                author_id=viewer.member_id,
                draft=draft,
                source_key=source_key,
                thanks_to=viewer.user_id,
                thanks=thanks_text(draft.title, posted=""),
            )
    else:
        with unit_of_work(session_factory) as session:
            story = stories.store_submitted(
                session,
                community_id=community_id,
                author_id=viewer.member_id,
                draft=draft,
                source_key=source_key,
            )
            story_id = story.id if story is not None else None
            if story is not None:
                if file_ids:
                    stories.attach_files(
                        session,
                        story,
                        [int(i) for i in file_ids if str(i).isdigit()],
                        viewer.user_id,
                    )
                channel = stories.cop_channel(session, community_id) if draft.post_to_cop else None
                posted = _queue_messages(
                    session,
                    story,
                    viewer.name or viewer.user_id,
                    viewer.user_id,
                    cop_channel=channel,
                )
    if story_id is None:  # the same form submitted again: stored the first time
        ack()
        return
    ack()

    def after() -> None:
        sender: Sender = context["sender"]
        # The ledger notes where the CoP post went (stories.note_cop_post), as the sweeper's does.
        # Kettle not in the CoP's channel (or the like): the post waits, the convenors hear.
        if posted:
            waiting.deliver_queued_or_wait(
                sender,
                stories.cop_post_key(story_id),
                community_id=community_id,
                what=f"<@{viewer.user_id}>'s story for the CoP's channel",
            )
        context["courier"].send_queued(sender, stories.thanks_key(story_id), viewer.user_id)
        if opened.get("from_home"):
            # The member is back on the App Home, which should show the story. From anywhere
            # else the Home is built afresh when they next open it (app_home_opened): a
            # rebuild and a views.publish (Tier 4) for each story would mostly go unseen.
            home.publish_home_later(context, body, client, viewer.user_id)

    later(context, body, client, after)


def _queue_messages(
    session: Session,
    story: Story,
    author_name: str,
    author_user_id: str,
    *,
    cop_channel: str | None,
) -> bool:
    """Queue the CoP post (only where consent allows) and the thank-you with the story itself,
    so that neither is lost if Kettle stops before sending them. `cop_channel`: the author
    asked for the post (None: not asked, or the CoP has no channel). True: the post was queued."""
    posted = ""
    if cop_channel and stories.may_appear(story, Place.COP):
        blocks = story_builders.story_blocks(story, author_line=f"shared by {escape(author_name)}")
        text = story_builders.story_fallback_text(story)
        queue(session, stories.cop_post_key(story.id), cop_channel, text=text, blocks=blocks)
        posted = f" and posted in <#{cop_channel}>"
    queue(
        session,
        stories.thanks_key(story.id),
        author_user_id,
        text=thanks_text(story.title, posted=posted),
    )
    return bool(posted)


def thanks_text(title: str, *, posted: str) -> str:
    """The thank-you to a story's author; `posted`: where else it went, said after the title."""
    return str(prompts.load("stories")["confirmation"].format(title=escape(title), where=posted))
