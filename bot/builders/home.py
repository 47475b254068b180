"""The App Home: what a member sees, composed from each capability's section."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

import prompts
from bot.builders.common import context, for_community, section
from bot.builders.ids import HomeIds
from bot.builders.stories import story_line
from bot.models import Story
from bot.text import escape

HOME_BLOCK_LIMIT = 100


def home_view(header_name: str, sections: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Join capability sections with dividers, never exceeding Slack's 100 blocks."""
    blocks: list[dict[str, Any]] = [
        HeaderBlock(text=f"Welcome to {header_name}"[:150]).to_dict(),
    ]
    for section_blocks in sections:
        if not section_blocks:
            continue
        addition = [DividerBlock().to_dict(), *section_blocks]
        if len(blocks) + len(addition) > HOME_BLOCK_LIMIT:
            break
        blocks.extend(addition)
    return {"type": "home", "blocks": blocks}


@dataclass(frozen=True)
class HomePart:
    """One CoP's part of the App Home of someone the install has several CoPs for."""

    community_id: int
    name: str
    is_member: bool
    sections: list[list[dict[str, Any]]]


def several_homes(parts: list[HomePart]) -> dict[str, Any]:
    """Each CoP under its own header, its blocks marked as that CoP's (`for_community`), each
    part within an even share of Slack's 100 blocks so that none crowds another out."""
    share = HOME_BLOCK_LIMIT // max(1, len(parts))
    blocks: list[dict[str, Any]] = []
    for part in parts:
        title = f"Welcome to {part.name}" if part.is_member else f"Kettle · {part.name}"
        chunk: list[dict[str, Any]] = [HeaderBlock(text=title[:150]).to_dict()]
        for section_blocks in part.sections:
            if not section_blocks:
                continue
            addition = [DividerBlock().to_dict(), *section_blocks]
            if len(chunk) + len(addition) > share:
                break
            chunk.extend(addition)
        blocks.extend(for_community(chunk, part.community_id))
    return {"type": "home", "blocks": blocks}


def outsider_part(convenor_ids: list[str], extra: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What someone outside a CoP sees of it: who to ask, and how to apply."""
    p = prompts.load("kettle")
    who = ", ".join(f"<@{u}>" for u in convenor_ids)
    text = p["not_a_member"].format(convenors=f" ({who})" if who else "")
    return [SectionBlock(text=MarkdownTextObject(text=text)).to_dict(), *extra]


def outsider_home(
    community_name: str, convenor_ids: list[str], *, extra: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    p = prompts.load("kettle")
    who = ", ".join(f"<@{u}>" for u in convenor_ids)
    blocks = [
        HeaderBlock(text=f"Kettle · {community_name}"[:150]).to_dict(),
        section(p["about"]),
        SectionBlock(
            text=MarkdownTextObject(
                text=p["not_a_member"].format(convenors=f" ({who})" if who else "")
            )
        ).to_dict(),
        *(extra or []),
    ]
    return {"type": "home", "blocks": blocks}


def stories_section(mine: list[Story], recent: list[Story]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        SectionBlock(
            text=MarkdownTextObject(text="*Stories*"),
            accessory=ButtonElement(
                text="Share a story", action_id=HomeIds.SHARE_STORY, style="primary"
            ),
        ).to_dict()
    ]
    if mine:
        lines = "\n".join(f"• {story_line(s, show_author=False)}" for s in mine)
        blocks.append(context("Your stories"))
        blocks.append(section(lines[:3000]))
    else:
        blocks.append(context("You haven't shared a story yet. Type `/story` anywhere to start."))
    if recent:
        lines = "\n".join(f"• {story_line(s, show_author=True)}" for s in recent)
        blocks.append(context("Recently in the CoP"))
        blocks.append(section(lines[:3000]))
    return blocks


__all__ = [
    "HomePart",
    "escape",
    "home_view",
    "outsider_home",
    "outsider_part",
    "several_homes",
    "stories_section",
]
