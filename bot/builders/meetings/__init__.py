"""The meeting form, the post with RSVP buttons, reminders, tea breaks, the pulse, and .ics text.

This is the builders' one public face (`from bot.builders import meetings as builders`); each
surface has its module: `form`, `post`, `lists` (the /meeting list and the App Home section),
`reminders` (with tea breaks), `pulse`, `ics`, and `words` for the wording and how times read.
"""

from __future__ import annotations

from bot.builders.meetings.form import FIELD_IDS, meeting_modal
from bot.builders.meetings.ics import ics
from bot.builders.meetings.lists import home_section, meeting_line, meeting_list
from bot.builders.meetings.post import (
    RSVP_ACTIONS,
    meeting_details,
    meeting_post,
    occurrence_value,
    parse_occurrence_value,
    post_text,
)
from bot.builders.meetings.pulse import note_modal, pulse_blocks, pulse_thanks_blocks, summary_text
from bot.builders.meetings.reminders import reminder_blocks, reminder_text, tea_text
from bot.builders.meetings.words import fallback_time, when

__all__ = [
    "FIELD_IDS",
    "RSVP_ACTIONS",
    "fallback_time",
    "home_section",
    "ics",
    "meeting_details",
    "meeting_line",
    "meeting_list",
    "meeting_modal",
    "meeting_post",
    "note_modal",
    "occurrence_value",
    "parse_occurrence_value",
    "post_text",
    "pulse_blocks",
    "pulse_thanks_blocks",
    "reminder_blocks",
    "reminder_text",
    "summary_text",
    "tea_text",
    "when",
]
