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


class MembershipIds(StrEnum):
    APPLY_MODAL = "membership_apply"
    PROFILE_MODAL = "membership_profile"
    REVIEW_MODAL = "membership_review"
    INPUT = "value"  # the action_id of the element inside each input block
    QUESTION_PREFIX = "membership_q_"  # + the question's key from prompts/membership.toml
    NORMS = "membership_norms"
    NORMS_YES = "agree"
    SHOW = "membership_show"
    SHOW_YES = "show"
    DECISION = "membership_decision"
    REASON = "membership_reason"
    APPLY_BUTTON = "membership_apply_open"
    PROFILE_BUTTON = "membership_profile_open"
    REVIEW_BUTTON = "membership_review_open"
    LEAVE_BUTTON = "membership_leave"
    FORGET_DELETE_BUTTON = "membership_forget_delete"
    FORGET_KEEP_BUTTON = "membership_forget_keep"
