"""Every callback_id, action_id and block_id, shared by the builders and the handlers."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    STORY = "/story"


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
