"""Call-outs: the question in the movement's channel, the answer form, and the convenor's note
of each answer."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, SectionBlock

import prompts
from bot.builders.common import context, modal, options, section
from bot.builders.ids import KnowledgeIds
from bot.builders.stories import read_button, story_fields
from bot.models import Callout, Story
from bot.text import escape, truncate


def _p() -> dict[str, Any]:
    return prompts.load("knowledge")


def callout_message(callout: Callout, *, community: str) -> list[dict[str, Any]]:
    p = _p()
    blocks: list[dict[str, Any]] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(
                    f"{p['callout_intro'].format(community=escape(community))}\n"
                    f"{escape(callout.question)}",
                    3000,
                )
            )
        ).to_dict()
    ]
    if callout.status == "open":
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=p["callout_answer_label"],
                        action_id=KnowledgeIds.ANSWER,
                        value=str(callout.id),
                        style="primary",
                    )
                ]
            ).to_dict()
        )
    else:
        blocks.append(context(p["callout_closed_note"]))
    return blocks


def answer_modal(callout: Callout) -> dict[str, Any]:
    """The story form for an answer: no link, and the call-out's own consent choices."""
    p = _p()
    intro = truncate(p["answer_intro"].format(question=escape(callout.question)), 3000)
    fields = story_fields(consents=options(p["callout_consents"]), guided=False, with_link=False)
    return modal(
        callback_id=KnowledgeIds.ANSWER_MODAL,
        title=p["answer_modal_title"],
        submit="Send",
        close="Cancel",
        private_metadata=json.dumps({"callout_id": callout.id}),
        blocks=[section(intro), *fields],
    )


def new_answer_message(text: str, story: Story, callout: Callout) -> list[dict[str, Any]]:
    buttons = [read_button(story)]
    if callout.status == "open":
        buttons.append(
            ButtonElement(
                text="Close the call-out",
                action_id=KnowledgeIds.CLOSE_CALLOUT,
                value=str(callout.id),
            )
        )
    return [
        section(truncate(text, 3000)),
        ActionsBlock(elements=buttons).to_dict(),
    ]
