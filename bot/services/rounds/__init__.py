"""Facilitated rounds (appreciative-inquiry rounds and action-learning sets): the capability's
one public face. Each concern has its module:

- `method`: the phases (from prompts), the states a round passes through, limits, naming, finding
- `roles`: who may steer a round and who may contribute in a phase
- `setup`: starting a round, and a named presenter's own yes to a set
- `phases`: next, pause, resume, extend, close, and the time each phase has
- `contributions`, `commitments`: what members say and commit to, reminders, asks, reports
- `invitations`: quiet-member invitations, tea breaks, the once-a-phase ledger of nudges
- `advice`, `interviews`, `synthesis`: coaching tips, interview pairs, what a round leaves
- `posts`: what is not yet posted, and where posts went so forget-me can edit them
- `forget`, `health`: forget-me and my data, and the health report's figures
- `sets`, `standing`: standing sets (members, adviser, rhythm, volunteers) and their meetings
"""

from __future__ import annotations

from bot.services.rounds.advice import coaching_tip, looks_like_advice
from bot.services.rounds.commitments import (
    action_line,
    add_commitment,
    due_asks,
    due_reminders,
    local_due,
    local_today,
    mark_commitment,
    own_commitment,
    parse_due,
    previous_actions,
    record_report,
    report_back,
)
from bot.services.rounds.contributions import add_contribution, form_phase
from bot.services.rounds.forget import forget_member, member_data
from bot.services.rounds.health import health_figures
from bot.services.rounds.interviews import interview_groups
from bot.services.rounds.invitations import (
    due_invitations,
    due_tea_breaks,
    mark_invited,
    mark_tea_break,
    note_once,
    set_invitations,
    take_tea_break,
    tea_break_after,
    wants_invitations,
)
from bot.services.rounds.method import (
    LIVE,
    MAX_PHASE_MINUTES,
    STARTED,
    TEXT_MAX,
    TOPIC_MAX,
    RoundLine,
    get_round,
    is_question_phase,
    list_rounds,
    one_off_phases,
    phase,
    phase_at,
    phases,
    plan,
    prompts_,
    round_for_thread,
    step_count,
    turn_of,
    who,
)
from bot.services.rounds.phases import (
    advance,
    close,
    due_to_advance,
    extend,
    minutes_left,
    pause,
    resume,
)
from bot.services.rounds.posts import (
    post_content,
    record_post,
    settle_post,
    stale_posts,
    unannounced,
)
from bot.services.rounds.roles import (
    NotFacilitator,
    NotStarted,
    RoundClosed,
    in_the_set,
    may_contribute,
    may_control,
    require_control,
)
from bot.services.rounds.sets import (
    MEETINGS_MAX,
    answer_offer,
    create_set,
    get_set,
    local_when,
    my_sets,
    next_after,
    note_space,
    offer,
    reviews,
    set_meetings,
)
from bot.services.rounds.setup import (
    answer_presenter,
    awaiting_ask,
    mark_presenter_asked,
    round_channel,
    set_people,
    start_ai,
    start_als,
)
from bot.services.rounds.standing import (
    due_adviser_prompts,
    due_calls,
    due_confirmations,
    due_openings,
    due_spaces,
    mark_asked,
    mark_called,
    mark_reminded,
    open_meeting,
)
from bot.services.rounds.standing import (
    due_reminders as due_set_reminders,
)
from bot.services.rounds.synthesis import synthesis

__all__ = [
    "LIVE",
    "MAX_PHASE_MINUTES",
    "MEETINGS_MAX",
    "STARTED",
    "TEXT_MAX",
    "TOPIC_MAX",
    "NotFacilitator",
    "NotStarted",
    "RoundClosed",
    "RoundLine",
    "action_line",
    "add_commitment",
    "add_contribution",
    "advance",
    "answer_offer",
    "answer_presenter",
    "awaiting_ask",
    "close",
    "coaching_tip",
    "create_set",
    "due_adviser_prompts",
    "due_asks",
    "due_calls",
    "due_confirmations",
    "due_invitations",
    "due_openings",
    "due_reminders",
    "due_set_reminders",
    "due_spaces",
    "due_tea_breaks",
    "due_to_advance",
    "extend",
    "forget_member",
    "form_phase",
    "get_round",
    "get_set",
    "health_figures",
    "in_the_set",
    "interview_groups",
    "is_question_phase",
    "list_rounds",
    "local_due",
    "local_today",
    "local_when",
    "looks_like_advice",
    "mark_asked",
    "mark_called",
    "mark_commitment",
    "mark_invited",
    "mark_presenter_asked",
    "mark_reminded",
    "mark_tea_break",
    "may_contribute",
    "may_control",
    "member_data",
    "minutes_left",
    "my_sets",
    "next_after",
    "note_once",
    "note_space",
    "offer",
    "one_off_phases",
    "open_meeting",
    "own_commitment",
    "parse_due",
    "pause",
    "phase",
    "phase_at",
    "phases",
    "plan",
    "post_content",
    "previous_actions",
    "prompts_",
    "record_post",
    "record_report",
    "report_back",
    "require_control",
    "resume",
    "reviews",
    "round_channel",
    "round_for_thread",
    "set_invitations",
    "set_meetings",
    "set_people",
    "settle_post",
    "stale_posts",
    "start_ai",
    "start_als",
    "step_count",
    "synthesis",
    "take_tea_break",
    "tea_break_after",
    "turn_of",
    "unannounced",
    "wants_invitations",
    "who",
]
