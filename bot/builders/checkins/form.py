"""The check-in form: mood, four questions, the care box, and who may see it."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)

from bot.builders.checkins.words import texts
from bot.builders.common import modal, options, tick_box
from bot.builders.ids import CheckinIds
from bot.models import Checkin, CheckinStatus, Visibility
from bot.services.checkins import TEXT_MAX
from bot.text import plain

FIELD_IDS = {
    "mood": CheckinIds.MOOD.value,
    "on_mind": CheckinIds.ON_MIND.value,
    "win": CheckinIds.WIN.value,
    "challenge": CheckinIds.CHALLENGE.value,
    "support": CheckinIds.SUPPORT.value,
    "visibility": CheckinIds.VISIBILITY.value,
}


def checkin_modal(week: str, existing: Checkin | None = None) -> dict[str, Any]:
    p = texts()
    moods = options(p["moods"])
    seen_by = [
        Option(
            value=value,
            text=plain(label, 75),
            description=plain(p["visibility_help"][value], 75),
        )
        for value, label in p["visibility"].items()
    ]
    answered = existing is not None and existing.status == CheckinStatus.ANSWERED

    def initial_mood() -> Option | None:
        if answered and existing is not None and existing.mood:
            return next((o for o in moods if o.value == str(existing.mood)), None)
        return None

    def initial_seen_by() -> Option:
        value = existing.visibility.value if answered and existing else Visibility.PRIVATE.value
        return next(o for o in seen_by if o.value == value)

    def text_input(block_id: str, label: str, initial: str | None) -> InputBlock:
        return InputBlock(
            block_id=block_id,
            label=plain(label, 2000),
            optional=True,
            element=PlainTextInputElement(
                action_id=CheckinIds.INPUT,
                multiline=True,
                max_length=TEXT_MAX,
                initial_value=initial or None,
            ),
        )

    tell_option = Option(
        value=CheckinIds.TELL_CONVENORS_YES.value,
        text=plain(p["tell_convenors_label"], 75),
        description=plain(p["tell_convenors_help"], 75),
    )
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=p["modal_intro"])),
        InputBlock(
            block_id=CheckinIds.MOOD,
            label=plain(p["mood_label"], 2000),
            element=StaticSelectElement(
                action_id=CheckinIds.INPUT, options=moods, initial_option=initial_mood()
            ),
        ),
        text_input(
            CheckinIds.ON_MIND,
            p["on_mind_label"],
            existing.on_mind if answered and existing else None,
        ),
        text_input(CheckinIds.WIN, p["win_label"], existing.win if answered and existing else None),
        text_input(
            CheckinIds.CHALLENGE,
            p["challenge_label"],
            existing.challenge if answered and existing else None,
        ),
        text_input(
            CheckinIds.SUPPORT,
            p["support_label"],
            existing.support if answered and existing else None,
        ),
        tick_box(
            block_id=CheckinIds.TELL_CONVENORS,
            action_id=CheckinIds.INPUT,
            option=tell_option,
            ticked=bool(answered and existing and existing.tell_convenors),
        ),
        InputBlock(
            block_id=CheckinIds.VISIBILITY,
            label=plain(p["visibility_label"], 2000),
            element=RadioButtonsElement(
                action_id=CheckinIds.INPUT, options=seen_by, initial_option=initial_seen_by()
            ),
        ),
    ]
    return modal(
        callback_id=CheckinIds.MODAL,
        title=p["modal_title"],
        submit=p["modal_submit"],
        close="Cancel",
        private_metadata=json.dumps({"week": week}),
        blocks=blocks,
    )
