"""The full story a click away: the story with its files and consent, and what the reader may
do next (propose it, pick it, make a tip of it, withdraw it)."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

import prompts
from bot.builders.common import VIEW_BLOCK_LIMIT, context, modal, safe_link
from bot.builders.ids import KnowledgeIds
from bot.builders.knowledge.publishing import withdraw_button
from bot.builders.stories import story_blocks
from bot.models import Publication, PublicationStatus, Story, StoryFile
from bot.text import escape, truncate


def full_story_modal(
    story: Story,
    *,
    author_line: str,
    files: list[StoryFile],
    publication: Publication | None,
    changed_since: bool = False,
    may_publish: bool,
    is_convenor: bool,
    is_author: bool,
    picked: bool,
    callout_question: str | None,
    in_movement: bool = False,
) -> dict[str, Any]:
    """The whole story, with what the viewer may do next (consent decides what is offered).

    `changed_since`: the story no longer matches what its author last approved or was asked
    about, so that answer no longer stands and it may be proposed afresh.
    `in_movement`: it is out in the movement's channel (published, or in a digest), so its
    author or a convenor may withdraw it.
    """
    blocks = story_blocks(story, author_line=author_line)
    if callout_question:
        question = escape(truncate(callout_question, 200))
        blocks.append(context(f':mega: An answer to "{question}"'))
    if files:
        names = ", ".join(
            f"<{safe_link(f.permalink)}|{escape(f.name)}>"
            if f.permalink and f.permalink.startswith("https://")
            else escape(f.name)
            for f in files
        )
        blocks.append(context(truncate(f":paperclip: {names}", 3000)))
    status = publication.status if publication else None
    consent = prompts.load("stories")["consents"].get(story.consent.value, story.consent.value)
    note = f"Consent: {consent}"
    live = status in (PublicationStatus.PUBLISHED, PublicationStatus.PROPOSED)
    if live and changed_since:
        note += "  ·  changed since its author was asked: it needs their approval again"
    elif status == PublicationStatus.PUBLISHED:
        note += "  ·  published to the movement"
    elif in_movement:
        note += "  ·  in a digest for the movement"
    elif status == PublicationStatus.PROPOSED:
        note += "  ·  waiting for its author's approval"
    blocks.append(context(note))
    buttons: list[ButtonElement] = []
    value = str(story.id)
    if is_convenor and may_publish and (not live or changed_since):
        buttons.append(
            ButtonElement(
                text="Propose for the movement", action_id=KnowledgeIds.PROPOSE, value=value
            )
        )
    if is_convenor:
        if picked:
            buttons.append(ButtonElement(text="Unpick", action_id=KnowledgeIds.UNPICK, value=value))
        else:
            buttons.append(
                ButtonElement(text="Pick for curation", action_id=KnowledgeIds.PICK, value=value)
            )
        buttons.append(
            ButtonElement(
                text="Make a quick-fire tip", action_id=KnowledgeIds.TIP_BUTTON, value=value
            )
        )
    if in_movement and (is_author or is_convenor):
        buttons.append(withdraw_button(KnowledgeIds.WITHDRAW_STORY, story.id))
    if buttons:
        blocks.append(ActionsBlock(elements=buttons).to_dict())
    return modal(
        callback_id=KnowledgeIds.STORY_MODAL,
        title="Story",
        close="Close",
        private_metadata=json.dumps({"story_id": story.id}),
        blocks=blocks[:VIEW_BLOCK_LIMIT],
    )
