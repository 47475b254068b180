"""Small shared pieces: notices, context lines, safe text objects."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.text import plain


def notice_modal(title: str, message: str) -> dict[str, Any]:
    """A modal that only says something; used to replace a form after a refusal."""
    return View(
        type="modal",
        title=plain(title, 24),
        close="Close",
        blocks=[SectionBlock(text=MarkdownTextObject(text=message))],
    ).to_dict()


def context(text: str) -> dict[str, Any]:
    return ContextBlock(elements=[MarkdownTextObject(text=text)]).to_dict()


def section(text: str, **kwargs: Any) -> dict[str, Any]:
    return SectionBlock(text=MarkdownTextObject(text=text), **kwargs).to_dict()
