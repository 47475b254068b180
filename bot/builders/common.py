"""Small shared pieces: notices, context lines, safe text objects, form fields, option lists,
tick boxes, button rows, modal shells, links and Slack date tokens."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    InputInteractiveElement,
    MarkdownTextObject,
    Option,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.builders.ids import CommunityIds
from bot.text import plain

MESSAGE_BLOCK_LIMIT = 50  # Slack's most blocks in a message
VIEW_BLOCK_LIMIT = 100  # ...and in a modal


def notice_modal(title: str, message: str) -> dict[str, Any]:
    """A modal that only says something; used to replace a form after a refusal."""
    return modal(
        title=title, blocks=[SectionBlock(text=MarkdownTextObject(text=message))], close="Close"
    )


def modal(
    *,
    title: str,
    blocks: list[Any],
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Cancel",
    private_metadata: str | None = None,
) -> dict[str, Any]:
    """A modal view; title and submit are cut to Slack's 24 characters."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=plain(title, 24),
        submit=plain(submit, 24) if submit is not None else None,
        close=close,
        private_metadata=private_metadata,
        blocks=blocks,
    ).to_dict()


def context(text: str) -> dict[str, Any]:
    return ContextBlock(elements=[MarkdownTextObject(text=text)]).to_dict()


def section(text: str, **kwargs: Any) -> dict[str, Any]:
    return SectionBlock(text=MarkdownTextObject(text=text), **kwargs).to_dict()


def actions_row(*buttons: ButtonElement, block_id: str | None = None) -> dict[str, Any]:
    return ActionsBlock(elements=list(buttons), block_id=block_id).to_dict()


def field(
    block_id: str,
    label: str,
    element: InputInteractiveElement,
    *,
    hint: str | None = None,
    optional: bool = False,
) -> dict[str, Any]:
    """One form field: its element under a label (and a hint), each cut to Slack's 2,000
    characters, so that wording edited in prompts/ cannot break the form."""
    return InputBlock(
        block_id=block_id,
        label=plain(label, 2000),
        element=element,
        hint=plain(hint, 2000) if hint is not None else None,
        optional=optional or None,
    ).to_dict()


def options(labels: Mapping[Any, str]) -> list[Option]:
    """Plain-text options from {value: label} (labels cut to Slack's 75 characters)."""
    return [Option(value=str(value), text=plain(label, 75)) for value, label in labels.items()]


def tick_box(
    *, block_id: str, action_id: str, option: Option, ticked: bool, label: str = " "
) -> InputBlock:
    """An optional input of one tick box, ticked or not (`label` " " when the option says it)."""
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=True,
        element=CheckboxesElement(
            action_id=action_id, options=[option], initial_options=[option] if ticked else None
        ),
    )


def safe_link(url: str) -> str:
    """A URL that cannot close Slack's <url|label> syntax early."""
    return url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")


def date_token(moment: datetime, tokens: str, fallback: str) -> str:
    """A moment Slack shows in each reader's own time zone; `fallback` where it cannot."""
    return f"<!date^{int(moment.timestamp())}^{tokens}|{fallback}>"


def for_community(blocks: list[dict[str, Any]], community_id: int) -> list[dict[str, Any]]:
    """Blocks marked as one CoP's (their block ids start `cop<id>.`), so that a button pressed
    among them, on a surface showing several CoPs, says which CoP it is for."""
    tag = f"{CommunityIds.TAG}{community_id}."
    marked = []
    for n, block in enumerate(blocks):
        own = str(block.get("block_id") or n)
        if own.startswith(CommunityIds.TAG.value) and "." in own:
            own = own.split(".", 1)[1]
        marked.append({**block, "block_id": (tag + own)[:255]})
    return marked


def community_of_block(block_id: str | None) -> int | None:
    """The CoP a block marked by `for_community` belongs to, if it is marked."""
    head, dot, _rest = (block_id or "").partition(".")
    number = head[len(CommunityIds.TAG) :]
    if dot and head.startswith(CommunityIds.TAG.value) and number.isdigit():
        return int(number)
    return None
