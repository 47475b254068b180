"""Curation: digests of the picked stories, the quick-fire tips roundup, the tip form."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    HeaderBlock,
    PlainTextInputElement,
)

import prompts
from bot.builders.common import MESSAGE_BLOCK_LIMIT, field, modal, section
from bot.builders.ids import KnowledgeIds
from bot.builders.stories import kind_label
from bot.models import Story, Tip
from bot.services.knowledge import TIP_MAX
from bot.text import escape, plain, truncate


def _p() -> dict[str, Any]:
    return prompts.load("knowledge")


def digest_message(header: str, items: list[tuple[Story, str | None]]) -> list[dict[str, Any]]:
    """A digest: one section per story, author named only where `items` gives a name."""
    blocks: list[dict[str, Any]] = [HeaderBlock(text=plain(header, 150)).to_dict()]
    for story, name in items[: MESSAGE_BLOCK_LIMIT - 1]:
        by = f" — {escape(name)}" if name else ""
        text = (
            f"*{escape(truncate(story.title, 150))}*{by}  ·  {kind_label(story)}\n"
            f"{escape(truncate(story.body, 600))}"
        )
        blocks.append(section(truncate(text, 3000)))
    return blocks


def tips_message(header: str, tips: list[Tip]) -> list[dict[str, Any]]:
    lines = "\n".join(f"• {escape(t.text)}" for t in tips)
    blocks: list[dict[str, Any]] = [HeaderBlock(text=plain(header, 150)).to_dict()]
    # Long roundups are split across sections of at most 3,000 characters.
    chunk = ""
    for line in lines.split("\n"):
        if len(chunk) + len(line) + 1 > 2900:
            blocks.append(section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(section(chunk))
    return blocks[:MESSAGE_BLOCK_LIMIT]


def tip_modal(story: Story) -> dict[str, Any]:
    p = _p()
    return modal(
        callback_id=KnowledgeIds.TIP_MODAL,
        title=p["tip_modal_title"],
        submit="Save",
        close="Cancel",
        private_metadata=json.dumps({"story_id": story.id}),
        blocks=[
            section(f"From *{escape(story.title)}*"),
            field(
                KnowledgeIds.TIP_TEXT,
                p["tip_label"],
                PlainTextInputElement(
                    action_id=KnowledgeIds.INPUT,
                    max_length=TIP_MAX,
                    initial_value=truncate(story.title, TIP_MAX),
                ),
            ),
        ],
    )
