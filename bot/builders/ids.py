"""Every callback_id, action_id and block_id, shared by the builders and the handlers."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    STORY = "/story"
    ROUND = "/round"
    MEETING = "/meeting"
    COP = "/cop"
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
    # the library
    SEARCH_BUTTON = "library_search"
    SEARCH_MODAL = "library_search_modal"
    SEARCH_WORDS = "library_words"
    SEARCH_THEME = "library_theme"
    SEARCH_KIND = "library_kind"
    SEARCH_AUTHOR = "library_author"
    SEARCH_SINCE = "library_since"
    SEARCH_MORE = "library_more"  # value: the search and the next page's offset, as JSON
    # files sent by DM
    FILE_IS_STORY = "file_is_story"
    FILE_NOT_STORY = "file_not_story"
    OPEN_BUTTON = "story_open"
    VIEW_BUTTON = "story_view"


class CommunityIds(StrEnum):
    """Which CoP a surface is for, when one person may see several."""

    CHOICE = "cop_choice"  # the block of a form's "which CoP?" select
    TAG = "cop"  # block ids of a CoP's part of a surface start "cop<id>."
    SETUP_MODAL = "cop_setup_modal"
    SETUP_MOVEMENT = "cop_setup_movement"
    SETUP_CONVENORS = "cop_setup_convenors"
    SETUP_JOIN = "cop_setup_join"


class HomeIds(StrEnum):
    SHARE_STORY = "home_share_story"


class RoundIds(StrEnum):
    AI_MODAL = "round_ai_modal"
    ALS_MODAL = "round_als_modal"
    CONTRIBUTE_MODAL = "round_contribute_modal"
    REPORT_MODAL = "round_report_modal"
    INPUT = "value"  # the action_id of the element inside each input block
    TOPIC = "topic"
    CHALLENGE = "challenge"
    CHANNEL = "channel"
    MINUTES = "minutes"  # ALS phases use "minutes_<n>"
    ANONYMOUS = "anonymous"
    ANONYMOUS_YES = "yes"
    PRESENTER = "presenter"
    MEMBERS = "members"
    TEXT = "text"
    WHEN = "when"
    CONTRIBUTE = "round_contribute"
    NEXT = "round_next"
    PAUSE = "round_pause"
    RESUME = "round_resume"
    EXTEND = "round_extend"
    END = "round_end"
    PAIR = "round_pair"
    REPORT = "round_report"
    OPT_OUT = "round_opt_out"
    SHARE = "share"
    PRESENT_YES = "round_present_yes"
    PRESENT_NO = "round_present_no"
    SET_MODAL = "round_set_modal"
    OFFER_MODAL = "round_offer_modal"
    SET_NAME = "name"
    ADVISER = "adviser"
    RHYTHM = "rhythm"
    DAY = "day"
    TIME = "time"
    MEETINGS = "meetings"
    PROBLEM = "problem"
    HELP = "help"
    VOLUNTEER = "round_volunteer"
    OFFER_YES = "round_offer_yes"
    OFFER_NO = "round_offer_no"
    MODE = "mode"
    HOURS = "hours"
    THEME = "theme"
    PROPOSITION = "proposition"
    PARTNER = "partner"
    INTERVIEW = "round_interview"
    RETELL = "round_retell"
    RETELL_MODAL = "round_retell_modal"
    RETELL_YES = "round_retell_yes"
    RETELL_NO = "round_retell_no"
    CHOICES = "round_choices"  # opens the themes or propositions form of a round
    CHOICES_MODAL = "round_choices_modal"
    CHOICE_VOTE = "round_choice_vote"
    START_TOPIC = "round_start_topic"
    JOIN = "round_join"
    LIBRARY_YES = "round_library_yes"
    LIBRARY_NO = "round_library_no"


class MeetingIds(StrEnum):
    MODAL = "meeting_modal"
    TITLE = "meeting_title"
    DAY = "meeting_day"
    START = "meeting_start"
    DURATION = "meeting_duration"
    VIDEO_URL = "meeting_video_url"
    AGENDA = "meeting_agenda"
    CHANNEL = "meeting_channel"
    REPEAT = "meeting_repeat"
    INPUT = "value"  # the action_id of the element inside each input block
    RSVP_GOING = "meeting_rsvp_going"
    RSVP_MAYBE = "meeting_rsvp_maybe"
    RSVP_DECLINED = "meeting_rsvp_declined"
    CALENDAR = "meeting_calendar"
    EDIT = "meeting_edit"
    CANCEL = "meeting_cancel"
    PULSE_SCORE = "meeting_pulse_score"  # buttons are PULSE_SCORE_1 … PULSE_SCORE_5
    PULSE_NOTE = "meeting_pulse_note"
    NOTE_MODAL = "meeting_note_modal"
    NOTE = "meeting_note"
    ACTIONS = "meeting_actions"


class PairingIds(StrEnum):
    OPT_IN = "pairing_opt_in"
    OPT_OUT = "pairing_opt_out"
    SKIP = "pairing_skip"
    RESUME = "pairing_resume"
    MET_YES = "pairing_met_yes"
    MET_NO = "pairing_met_no"
    FOLLOWUP_PREFIX = "pairing_followup_"  # + the group's id
    HOME_ACTIONS = "pairing_home"


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
    APPLICATIONS_MORE = "membership_applications_more"  # value: how many applications came before
    LEAVE_BUTTON = "membership_leave"
    FORGET_DELETE_BUTTON = "membership_forget_delete"
    FORGET_KEEP_BUTTON = "membership_forget_keep"


class KnowledgeIds(StrEnum):
    # the full story, opened from the library
    READ = "library_read"
    STORY_MODAL = "library_story"
    # publishing
    PROPOSE = "publish_propose"
    APPROVE = "publish_approve"
    DECLINE = "publish_decline"
    WITHDRAW = "publish_withdraw"  # value: the publication's id
    WITHDRAW_STORY = "story_withdraw"  # value: the story's id (however it went out)
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


class CheckinIds(StrEnum):
    MODAL = "checkin_modal"
    MOOD = "checkin_mood"
    ON_MIND = "checkin_on_mind"
    WIN = "checkin_win"
    CHALLENGE = "checkin_challenge"
    SUPPORT = "checkin_support"
    TELL_CONVENORS = "checkin_tell_convenors"
    TELL_CONVENORS_YES = "tell"
    VISIBILITY = "checkin_visibility"
    INPUT = "value"  # the action_id of the element inside each input block
    OPEN_BUTTON = "checkin_open"
    SKIP_BUTTON = "checkin_skip"
    PAUSE_BUTTON = "checkin_pause"
    OFF_BUTTON = "checkin_off"
    ON_BUTTON = "checkin_on"
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
