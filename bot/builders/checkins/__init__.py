"""The check-in DM, its form, the pause and settings modals, the convenors' summary, care nudges
and the member's own App Home section.

This is the builders' one public face (`from bot.builders import checkins as builders`); each
surface has its module: `dm`, `form`, `pause`, `settings`, `summary`, `home`, and `words` for the
wording and how a mood reads.
"""

from __future__ import annotations

from bot.builders.checkins.dm import checkin_dm, dm_actions, naming_cop
from bot.builders.checkins.form import FIELD_IDS, checkin_modal
from bot.builders.checkins.home import home_section
from bot.builders.checkins.pause import pause_modal
from bot.builders.checkins.settings import SETTINGS_FIELD_IDS, settings_modal
from bot.builders.checkins.summary import care_message, summary_message
from bot.builders.checkins.words import mood_word, trend

__all__ = [
    "FIELD_IDS",
    "SETTINGS_FIELD_IDS",
    "care_message",
    "checkin_dm",
    "checkin_modal",
    "dm_actions",
    "home_section",
    "mood_word",
    "naming_cop",
    "pause_modal",
    "settings_modal",
    "summary_message",
    "trend",
]
