"""A story's own blocks: as posted in a channel, its fallback text, its line in a list, and how
its kind reads."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

import prompts
from bot.builders.common import safe_link
from bot.models import Story
from bot.text import escape, plain, truncate


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
