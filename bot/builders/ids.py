"""Every callback_id, action_id and block_id, shared by the builders and the handlers."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    STORY = "/story"
    CHECKIN = "/checkin"


class StoryIds(StrEnum):
    MODAL = "story_modal"
    TITLE = "story_title"
    BODY = "story_body"
    KIND = "story_kind"
    THEMES = "story_themes"
    MEDIA_URL = "story_media_url"
    CONSENT = "story_consent"
    POST = "story_post"
    INPUT = "value"  # the action_id of the element inside each input block
    POST_YES = "post"
    OPEN_BUTTON = "story_open"
    VIEW_BUTTON = "story_view"


class HomeIds(StrEnum):
    SHARE_STORY = "home_share_story"


class CheckinIds(StrEnum):
    MODAL = "checkin_modal"
    MOOD = "checkin_mood"
    ON_MIND = "checkin_on_mind"
    WIN = "checkin_win"
    CHALLENGE = "checkin_challenge"
    SUPPORT = "checkin_support"
    WANTS_CALL = "checkin_wants_call"
    WANTS_CALL_YES = "call"
    VISIBILITY = "checkin_visibility"
    INPUT = "value"  # the action_id of the element inside each input block
    OPEN_BUTTON = "checkin_open"
    SKIP_BUTTON = "checkin_skip"
    PAUSE_BUTTON = "checkin_pause"
    DM_ACTIONS = "checkin_dm_actions"
    PAUSE_MODAL = "checkin_pause_modal"
    PAUSE_UNTIL = "pause"
    SETTINGS_BUTTON = "checkin_settings"
    SETTINGS_MODAL = "checkin_settings_modal"
    SETTINGS_WEEKDAY = "checkin_settings_weekday"
    SETTINGS_TIME = "checkin_settings_time"
    SETTINGS_REMINDER = "checkin_settings_reminder"
    SETTINGS_WINDOW = "checkin_settings_window"
    SETTINGS_ENABLED = "checkin_settings_enabled"
    SETTINGS_ENABLED_YES = "enabled"
