"""The meeting form behind /meeting, new or prefilled to edit."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
    UrlInputElement,
)

from bot.builders.common import modal
from bot.builders.ids import MeetingIds
from bot.builders.meetings.words import duration_label, texts
from bot.models import Meeting, Repeat
from bot.services import meetings as svc
from bot.services.meetings import Occurrence
from bot.text import plain

FIELD_IDS = {
    "title": MeetingIds.TITLE.value,
    "day": MeetingIds.DAY.value,
    "start": MeetingIds.START.value,
    "duration": MeetingIds.DURATION.value,
    "video_url": MeetingIds.VIDEO_URL.value,
    "agenda": MeetingIds.AGENDA.value,
    "channel": MeetingIds.CHANNEL.value,
    "repeat": MeetingIds.REPEAT.value,
}


def meeting_modal(
    *,
    community_id: int,
    tz: str,
    default_channel: str | None,
    meeting: Meeting | None = None,
    occurrence: Occurrence | None = None,
) -> dict[str, Any]:
    """The form behind /meeting; with `meeting` it edits (prefilled with the next occurrence)."""
    p = texts()
    durations = [Option(value=str(m), text=duration_label(m)) for m in svc.DURATIONS]
    repeats = [Option(value=r.value, text=plain(p["repeats"][r.value], 75)) for r in Repeat]
    initial_duration = next(
        (o for o in durations if meeting and o.value == str(meeting.duration_minutes)),
        durations[2],
    )
    initial_repeat = next(
        (o for o in repeats if meeting and o.value == meeting.repeat.value), repeats[0]
    )
    local = occurrence.starts_at.astimezone(svc.zone(tz)) if occurrence else None
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=p["intro"])),
        InputBlock(
            block_id=MeetingIds.TITLE,
            label=p["title_label"],
            element=PlainTextInputElement(
                action_id=MeetingIds.INPUT,
                max_length=svc.TITLE_MAX,
                placeholder=plain(p["title_placeholder"], 150),
                initial_value=meeting.title if meeting else None,
            ),
        ),
        InputBlock(
            block_id=MeetingIds.DAY,
            label=p["day_label"],
            element=DatePickerElement(
                action_id=MeetingIds.INPUT,
                initial_date=local.date().isoformat() if local else None,
            ),
        ),
        InputBlock(
            block_id=MeetingIds.START,
            label=p["start_label"],
            hint=plain(f"In {tz}", 2000),
            element=TimePickerElement(
                action_id=MeetingIds.INPUT,
                initial_time=local.strftime("%H:%M") if local else None,
                timezone=tz,
            ),
        ),
        InputBlock(
            block_id=MeetingIds.DURATION,
            label=p["duration_label"],
            element=StaticSelectElement(
                action_id=MeetingIds.INPUT, options=durations, initial_option=initial_duration
            ),
        ),
        InputBlock(
            block_id=MeetingIds.VIDEO_URL,
            label=p["video_label"],
            hint=plain(p["video_hint"], 2000),
            element=UrlInputElement(
                action_id=MeetingIds.INPUT,
                initial_value=meeting.video_url if meeting else None,
            ),
        ),
        InputBlock(
            block_id=MeetingIds.AGENDA,
            label=p["agenda_label"],
            optional=True,
            element=PlainTextInputElement(
                action_id=MeetingIds.INPUT,
                multiline=True,
                max_length=svc.AGENDA_MAX,
                placeholder=plain(p["agenda_placeholder"], 150),
                initial_value=(meeting.agenda or None) if meeting else None,
            ),
        ),
        InputBlock(
            block_id=MeetingIds.CHANNEL,
            label=p["channel_label"],
            element=ConversationSelectElement(
                action_id=MeetingIds.INPUT,
                initial_conversation=(meeting.channel_id if meeting else default_channel),
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
            ),
        ),
        InputBlock(
            block_id=MeetingIds.REPEAT,
            label=p["repeat_label"],
            element=StaticSelectElement(
                action_id=MeetingIds.INPUT, options=repeats, initial_option=initial_repeat
            ),
        ),
    ]
    metadata = {"community_id": community_id, "meeting_id": meeting.id if meeting else None}
    return modal(
        callback_id=MeetingIds.MODAL,
        title=p["edit_title"] if meeting else p["modal_title"],
        submit=p["save"] if meeting else p["submit"],
        close="Cancel",
        private_metadata=json.dumps(metadata),
        blocks=blocks,
    )
