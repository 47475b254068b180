"""The /story modal, a story as posted in the CoP channel, and story lines for lists."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)

import prompts
from bot.builders.common import modal, options, safe_link
from bot.builders.ids import StoryIds
from bot.models import Story
from bot.services.stories import BODY_MAX, TITLE_MAX
from bot.text import escape, plain, truncate

FIELD_IDS = {
    "title": StoryIds.TITLE.value,
    "body": StoryIds.BODY.value,
    "kind": StoryIds.KIND.value,
    "themes": StoryIds.THEMES.value,
    "media_url": StoryIds.MEDIA_URL.value,
    "consent": StoryIds.CONSENT.value,
}


def story_modal(
    *,
    prefill: str = "",
    community_id: int,
    channel_id: str | None = None,
    files: Sequence[tuple[int, str]] = (),
) -> dict:
    """The form behind /story; `prefill` is what the member typed after the command.

    `files` are (id, name) of files the member sent Kettle, attached when the form is sent.
    """
    p = prompts.load("stories")
    prefill = prefill.strip()
    title_initial = truncate(prefill, TITLE_MAX) if 0 < len(prefill) <= 80 else None
    body_initial = truncate(prefill, BODY_MAX) if len(prefill) > 80 else None
    consents = options(p["consents"])
    post_option = Option(value=StoryIds.POST_YES.value, text=plain(p["post_label"], 75))
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=p["intro"]))]
    if files:
        names = ", ".join(escape(name) for _id, name in files)
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=truncate(f":paperclip: {names}", 3000))])
        )
    blocks += [
        InputBlock(
            block_id=StoryIds.TITLE,
            label=p["title_label"],
            element=PlainTextInputElement(
                action_id=StoryIds.INPUT,
                max_length=TITLE_MAX,
                placeholder=plain(p["title_placeholder"], 150),
                initial_value=title_initial,
            ),
        ),
        InputBlock(
            block_id=StoryIds.BODY,
            label=p["body_label"],
            element=PlainTextInputElement(
                action_id=StoryIds.INPUT,
                multiline=True,
                max_length=BODY_MAX,
                placeholder=plain(p["body_placeholder"], 150),
                initial_value=body_initial,
            ),
        ),
        InputBlock(
            block_id=StoryIds.KIND,
            label=p["kind_label"],
            element=StaticSelectElement(action_id=StoryIds.INPUT, options=options(p["kinds"])),
        ),
        InputBlock(
            block_id=StoryIds.THEMES,
            label=p["themes_label"],
            hint=plain(p["themes_hint"], 2000),
            optional=True,
            element=PlainTextInputElement(action_id=StoryIds.INPUT, max_length=400),
        ),
        InputBlock(
            block_id=StoryIds.MEDIA_URL,
            label=p["media_label"],
            hint=plain(p["media_hint"], 2000),
            optional=True,
            element=PlainTextInputElement(action_id=StoryIds.INPUT, max_length=2000),
        ),
        InputBlock(
            block_id=StoryIds.CONSENT,
            label=p["consent_label"],
            element=StaticSelectElement(
                action_id=StoryIds.INPUT, options=consents, initial_option=consents[0]
            ),
        ),
        InputBlock(
            block_id=StoryIds.POST,
            label=" ",
            optional=True,
            element=CheckboxesElement(action_id=StoryIds.INPUT, options=[post_option]),
        ),
    ]
    return modal(
        callback_id=StoryIds.MODAL,
        title=p["modal_title"],
        submit=p["submit"],
        close="Cancel",
        private_metadata=json.dumps(
            {
                "community_id": community_id,
                "channel_id": channel_id,
                "file_ids": [file_id for file_id, _name in files],
            }
        ),
        blocks=blocks,
    )


def kind_label(story: Story) -> str:
    p = prompts.load("stories")
    emoji = p.get("kind_emoji", {}).get(story.kind.value, "")
    return f"{emoji} {p['kinds'].get(story.kind.value, story.kind.value)}".strip()


def story_blocks(story: Story, *, author_line: str | None) -> list[dict[str, Any]]:
    """A story as it appears in a channel; every piece of member text is escaped."""
    meta = [kind_label(story)]
    if story.themes:
        meta.append(" · ".join(f"#{escape(t)}" for t in story.themes))
    if author_line:
        meta.append(author_line)
    body = escape(story.body)
    if story.media_url:
        body += f"\n\n:headphones: <{safe_link(story.media_url)}|Listen or watch>"
    blocks = [
        HeaderBlock(text=plain(story.title, 150)),
        SectionBlock(text=MarkdownTextObject(text=truncate(body, 3000))),
        ContextBlock(elements=[MarkdownTextObject(text=truncate("  ·  ".join(meta), 3000))]),
    ]
    return [b.to_dict() for b in blocks]


def story_fallback_text(story: Story) -> str:
    return f"A story: {escape(story.title)}"


def story_line(story: Story, *, show_author: bool) -> str:
    """One line for a list in the App Home."""
    author = ""
    if show_author and story.author is not None:
        author = f" — {escape(story.author.name)}"
    date = story.created_at.strftime("%d %b %Y")
    return f"*{escape(truncate(story.title, 120))}*{author}  ·  {kind_label(story)}  ·  {date}"
