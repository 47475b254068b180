"""Meetings: DST-safe repeats in the convenor's zone, RSVPs, what falls due when, tea breaks and
the pulse.

This is the capability's one public face: handlers, schedules, builders and tests use
`meetings.<name>`. Each concern has its module: `series` (when occurrences fall), `plans`
(the form, create, edit, cancel, upcoming), `rsvp`, `reminders` (what is due when), `tea`
(tea-break settings), `pulse`, `rights` (forget-me, my data) and `health` (the health report's
figure).
"""

from __future__ import annotations

from bot.services.meetings.health import health_figures
from bot.services.meetings.plans import (
    AGENDA_MAX,
    DURATIONS,
    TITLE_MAX,
    URL_MAX,
    MeetingDraft,
    cancel_meeting,
    create_meeting,
    get_meeting,
    record_post,
    upcoming,
    update_meeting,
    validate_draft,
)
from bot.services.meetings.pulse import PulseSummary, pulse_summary, record_pulse
from bot.services.meetings.reminders import (
    LOOKBACK,
    PULSE_WINDOW,
    REMIND_DAY,
    REMIND_HOUR,
    START_GRACE,
    SUMMARY_AFTER,
    SUMMARY_WINDOW,
    Due,
    DueKind,
    due,
    posts_to_refresh,
)
from bot.services.meetings.rights import forget_member, member_data
from bot.services.meetings.rsvp import (
    going_names,
    occurrence_for_answer,
    rsvp_counts,
    rsvps,
    set_rsvp,
)
from bot.services.meetings.series import (
    Occurrence,
    describe_repeat,
    monthly_rule,
    next_occurrence,
    occurrence_at,
    occurrence_day,
    occurrences,
    upcoming_occurrences,
    zone,
)
from bot.services.meetings.tea import MeetingConfig, config_from

__all__ = [
    "AGENDA_MAX",
    "DURATIONS",
    "LOOKBACK",
    "PULSE_WINDOW",
    "REMIND_DAY",
    "REMIND_HOUR",
    "START_GRACE",
    "SUMMARY_AFTER",
    "SUMMARY_WINDOW",
    "TITLE_MAX",
    "URL_MAX",
    "Due",
    "DueKind",
    "MeetingConfig",
    "MeetingDraft",
    "Occurrence",
    "PulseSummary",
    "cancel_meeting",
    "config_from",
    "create_meeting",
    "describe_repeat",
    "due",
    "forget_member",
    "get_meeting",
    "going_names",
    "health_figures",
    "member_data",
    "monthly_rule",
    "next_occurrence",
    "occurrence_at",
    "occurrence_day",
    "occurrence_for_answer",
    "occurrences",
    "posts_to_refresh",
    "pulse_summary",
    "record_post",
    "record_pulse",
    "rsvp_counts",
    "rsvps",
    "set_rsvp",
    "upcoming",
    "upcoming_occurrences",
    "update_meeting",
    "validate_draft",
    "zone",
]
