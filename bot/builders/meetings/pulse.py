"""The pulse after a meeting: the question, the thanks, the note form, and the convenor's
summary without names."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)

from bot import privacy
from bot.builders.common import context, modal, section
from bot.builders.ids import MeetingIds
from bot.builders.meetings.post import occurrence_value
from bot.builders.meetings.words import texts
from bot.models import Meeting
from bot.services import meetings as svc
from bot.services.meetings import Occurrence, PulseSummary
from bot.text import escape, plain, truncate


def pulse_blocks(meeting: Meeting, occ: Occurrence) -> list[dict[str, Any]]:
    p = texts()["pulse"]
    value = occurrence_value(meeting.id, occ.day)
    buttons = [
        ButtonElement(text=str(n), action_id=f"{MeetingIds.PULSE_SCORE}_{n}", value=value)
        for n in range(1, 6)
    ]
    buttons.append(
        ButtonElement(text=p["note_button"], action_id=MeetingIds.PULSE_NOTE, value=value)
    )
    return [
        section(p["question"].format(title=escape(meeting.title))),
        context(p["scale"]),
        ActionsBlock(block_id=MeetingIds.ACTIONS, elements=buttons).to_dict(),
    ]


def pulse_thanks_blocks(meeting: Meeting, day: date, score: int) -> list[dict[str, Any]]:
    p = texts()["pulse"]
    value = occurrence_value(meeting.id, day)
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=p["thanks"].format(title=escape(meeting.title), score=score)
            ),
            accessory=ButtonElement(
                text=p["note_button"], action_id=MeetingIds.PULSE_NOTE, value=value
            ),
        ).to_dict()
    ]


def note_modal(meeting_id: int, day: date) -> dict[str, Any]:
    p = texts()["pulse"]
    return modal(
        callback_id=MeetingIds.NOTE_MODAL,
        title=p["note_title"],
        submit="Send",
        close="Cancel",
        private_metadata=json.dumps({"occurrence": occurrence_value(meeting_id, day)}),
        blocks=[
            InputBlock(
                block_id=MeetingIds.NOTE,
                label=plain(p["note_label"], 2000),
                element=PlainTextInputElement(
                    action_id=MeetingIds.INPUT, multiline=True, max_length=svc.AGENDA_MAX
                ),
            )
        ],
    )


def summary_text(meeting: Meeting, occ: Occurrence, summary: PulseSummary) -> str:
    p = texts()["pulse"]
    day = f"{occ.day.day} {occ.day:%b %Y}"
    if summary.too_few:
        return p["summary_too_few"].format(
            title=escape(meeting.title), day=day, min=privacy.MIN_SHARED
        )
    head = p["summary"].format(
        title=escape(meeting.title),
        day=day,
        answers=summary.answers,
        average=summary.average if summary.average is not None else "–",
    )
    spread = "  ".join(f"{n}: {summary.spread[n]}" for n in range(1, 6))
    notes = "\n".join(f"> {escape(truncate(n, 400))}" for n in summary.notes[:10])
    return truncate("\n".join(part for part in (head, spread, notes) if part), 3000)
