"""Every callback_id, action_id and block_id, shared by the builders and the handlers."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    STORY = "/story"
    COP = "/cop"


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


class KnowledgeIds(StrEnum):
    # the library
    SEARCH_BUTTON = "library_search"
    SEARCH_MODAL = "library_search_modal"
    SEARCH_WORDS = "library_words"
    SEARCH_THEME = "library_theme"
    SEARCH_KIND = "library_kind"
    SEARCH_AUTHOR = "library_author"
    SEARCH_SINCE = "library_since"
    READ = "library_read"
    STORY_MODAL = "library_story"
    # files sent by DM
    FILE_IS_STORY = "file_is_story"
    FILE_NOT_STORY = "file_not_story"
    # publishing
    PROPOSE = "publish_propose"
    APPROVE = "publish_approve"
    DECLINE = "publish_decline"
    WITHDRAW = "publish_withdraw"
    # curation
    PICK = "curate_pick"
    UNPICK = "curate_unpick"
    TIP_BUTTON = "curate_tip"
    TIP_MODAL = "curate_tip_modal"
    TIP_TEXT = "curate_tip_text"
    # call-outs
    ANSWER = "callout_answer"
    ANSWER_MODAL = "callout_answer_modal"
    CLOSE_CALLOUT = "callout_close"
    INPUT = "value"
