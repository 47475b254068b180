"""Weekly check-ins: when each member is due (in their own time zone), what they said, what the
convenors hear (only what was shared with them), and the care nudge a member can ask for.

This is the capability's one public face: handlers, schedules, builders and tests use
`checkins.<name>`. Each concern has its module: `schedule` (the rhythm and local times), `due`
(who is due, reminders, summaries, ledger keys), `answers` (check and record), `pauses` (pause,
resume, off and on), `summary` (the convenors' summary and care signals), `rights` (forget-me,
my data) and `health` (the health report's figure).
"""

from __future__ import annotations

from bot.services.checkins.answers import (
    SHARED,
    TEXT_MAX,
    Answer,
    get_checkin,
    recent_checkins,
    record_answer,
    record_skip,
    validate_answer,
)
from bot.services.checkins.due import (
    Due,
    SummaryDue,
    care_key,
    checkin_key,
    checkins_sent,
    due_checkins,
    due_reminders,
    due_summaries,
    reminder_key,
    sent_keys,
    sent_to,
    summary_key,
    window_close,
)
from bot.services.checkins.health import RATE, health_figures
from bot.services.checkins.pauses import (
    PAUSE_MAX_DAYS,
    is_off,
    pause,
    paused_until,
    resume,
    turn_off,
    turn_on,
)
from bot.services.checkins.rights import forget_member, member_data
from bot.services.checkins.schedule import (
    REMINDER_CHOICES,
    WEEKDAYS,
    WINDOW_CHOICES,
    Schedule,
    current_due,
    due_date_for_week,
    enabled_communities,
    get_schedule,
    local_due,
    local_today,
    save_schedule,
    validate_schedule,
    week_for_member,
    week_of,
    zone_of,
)
from bot.services.checkins.summary import (
    CareSignal,
    Summary,
    asked_for_support,
    care_signal,
    care_signals,
    summarise,
)

__all__ = [
    "PAUSE_MAX_DAYS",
    "RATE",
    "REMINDER_CHOICES",
    "SHARED",
    "TEXT_MAX",
    "WEEKDAYS",
    "WINDOW_CHOICES",
    "Answer",
    "CareSignal",
    "Due",
    "Schedule",
    "Summary",
    "SummaryDue",
    "asked_for_support",
    "care_key",
    "care_signal",
    "care_signals",
    "checkin_key",
    "checkins_sent",
    "current_due",
    "due_checkins",
    "due_date_for_week",
    "due_reminders",
    "due_summaries",
    "enabled_communities",
    "forget_member",
    "get_checkin",
    "get_schedule",
    "health_figures",
    "is_off",
    "local_due",
    "local_today",
    "member_data",
    "pause",
    "paused_until",
    "recent_checkins",
    "record_answer",
    "record_skip",
    "reminder_key",
    "resume",
    "save_schedule",
    "sent_keys",
    "sent_to",
    "summarise",
    "summary_key",
    "turn_off",
    "turn_on",
    "validate_answer",
    "validate_schedule",
    "week_for_member",
    "week_of",
    "window_close",
    "zone_of",
]
