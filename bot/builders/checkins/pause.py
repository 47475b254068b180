"""The pause modal: check-ins stop until a chosen date."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk.models.blocks import DatePickerElement, InputBlock

from bot.builders.checkins.words import texts
from bot.builders.common import context, modal
from bot.builders.ids import CheckinIds
from bot.text import plain


def pause_modal(today: date) -> dict[str, Any]:
    p = texts()
    return modal(
        callback_id=CheckinIds.PAUSE_MODAL,
        title=p["pause_title"],
        submit=p["pause_submit"],
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=CheckinIds.PAUSE_UNTIL,
                label=plain(p["pause_label"], 2000),
                element=DatePickerElement(
                    action_id=CheckinIds.INPUT, initial_date=today.isoformat()
                ),
            ),
            context(p["pause_off_hint"]),
        ],
    )
