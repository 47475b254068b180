"""The reminders before a meeting and the tea-break nudge during it."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.builders.common import safe_link, section
from bot.builders.meetings.post import meeting_details
from bot.builders.meetings.words import texts, when
from bot.models import Meeting
from bot.services.meetings import DueKind, Occurrence
from bot.text import escape


def reminder_text(kind: DueKind, meeting: Meeting, occ: Occurrence) -> str:
    template = texts()["reminders"][kind.value]
    return template.format(
        title=escape(meeting.title), when=when(occ, meeting.tz), link=safe_link(meeting.video_url)
    )


def reminder_blocks(kind: DueKind, meeting: Meeting, occ: Occurrence) -> list[dict[str, Any]]:
    return [section(reminder_text(kind, meeting, occ)), section(meeting_details(meeting, occ))]


def tea_text(meeting_id: int, day: date) -> str:
    """Varied wording: each meeting (and each occurrence of a series) gets a different nudge."""
    options: list[str] = texts()["tea_breaks"]
    return options[(meeting_id * 7 + day.toordinal()) % len(options)]
