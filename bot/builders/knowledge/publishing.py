"""Publishing: the story as the movement would see it, the author's preview with its answer
buttons, and the "Published" note that can withdraw it."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ConfirmObject, DividerBlock

import prompts
from bot.builders.common import section
from bot.builders.ids import KnowledgeIds
from bot.builders.stories import story_blocks
from bot.models import Publication, Story
from bot.text import escape


def _p() -> dict[str, Any]:
    return prompts.load("knowledge")


def withdraw_button(action_id: str, value: int) -> ButtonElement:
    return ButtonElement(
        text=_p()["withdraw_label"],
        action_id=action_id,
        value=str(value),
        style="danger",
        confirm=ConfirmObject(
            title="Withdraw it?",
            text="It will be taken out of every post in the movement's channel.",
            confirm="Withdraw",
            deny="Keep it",
        ),
    )


def movement_post(story: Story, *, name: str | None) -> list[dict[str, Any]]:
    """A story exactly as it appears in the movement's channel: named only if `name` is given."""
    return story_blocks(
        story, author_line=f"told by {escape(name)}" if name else "told anonymously"
    )


def preview_message(
    story: Story, publication: Publication, *, name: str | None, channel: str
) -> list[dict[str, Any]]:
    p = _p()
    intro = p["preview_intro"].format(
        title=escape(story.title),
        channel=f"<#{channel}>",
        naming=p["preview_named"] if name else p["preview_anonymous"],
    )
    blocks = [section(intro), DividerBlock().to_dict()]
    blocks += movement_post(story, name=name)
    blocks += [
        DividerBlock().to_dict(),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=p["approve_label"],
                    action_id=KnowledgeIds.APPROVE,
                    value=str(publication.id),
                    style="primary",
                ),
                ButtonElement(
                    text=p["decline_label"],
                    action_id=KnowledgeIds.DECLINE,
                    value=str(publication.id),
                ),
            ]
        ).to_dict(),
    ]
    return blocks


def published_message(text: str, publication: Publication) -> list[dict[str, Any]]:
    return [
        section(text),
        ActionsBlock(elements=[withdraw_button(KnowledgeIds.WITHDRAW, publication.id)]).to_dict(),
    ]
