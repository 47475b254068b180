"""Pieces every rounds surface is made of: the prompts, times, inputs and buttons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ButtonElement,
    CheckboxesElement,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
)

from bot.builders.common import date_token
from bot.builders.ids import RoundIds
from bot.services import rounds as svc
from bot.text import plain


def prompts_() -> dict[str, Any]:
    return svc.prompts_()


def slack_time(moment: datetime, *, day: bool = False) -> str:
    """A time every reader sees in their own zone (with its day, for a phase of days)."""
    if day:
        return date_token(moment, "{date_short_pretty} {time}", f"{moment:%a %d %b %H:%M} UTC")
    return date_token(moment, "{time}", f"{moment:%H:%M} UTC")


def text_input(
    block_id: str,
    label: str,
    *,
    multiline: bool = True,
    initial: str | None = None,
    max_length: int = svc.TEXT_MAX,
    hint: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        hint=plain(hint, 2000) if hint else None,
        element=PlainTextInputElement(
            action_id=RoundIds.INPUT,
            multiline=multiline,
            max_length=max_length,
            initial_value=initial or None,
        ),
    )


def minutes_input(
    block_id: str, label: str, initial: int, *, maximum: int = svc.MAX_PHASE_MINUTES
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=plain(label, 2000),
        element=NumberInputElement(
            action_id=RoundIds.INPUT,
            is_decimal_allowed=False,
            min_value="0",
            max_value=str(maximum),
            initial_value=str(initial),
        ),
    )


def anonymous_input(text: str) -> InputBlock:
    """One optional tick for going without a name (a round's setting, or one contribution)."""
    anon = Option(value=RoundIds.ANONYMOUS_YES.value, text=text)
    return InputBlock(
        block_id=RoundIds.ANONYMOUS,
        label=" ",
        optional=True,
        element=CheckboxesElement(action_id=RoundIds.INPUT, options=[anon]),
    )


def button(text: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=text, action_id=action_id, value=value, style=style)
