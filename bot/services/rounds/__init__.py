"""Facilitated rounds (appreciative-inquiry rounds and action-learning sets): the capability's
one public face. Each concern has its module:

- `method`: the phases (from prompts), the states a round passes through, limits, naming, finding
- `roles`: who may steer a round and who may contribute in a phase
- `setup`: starting a round, and a named presenter's own yes to a set
- `phases`: next, pause, resume, extend, close, and the time each phase has
- `contributions`, `commitments`: what members say and commit to, reminders, asks, reports
- `invitations`: quiet-member invitations, tea breaks, the once-a-phase ledger of nudges
- `choices`: topics, themes of the positive core and provocative propositions, and votes
- `advice`, `interviews`, `synthesis`: coaching tips, interview pairs and retellings, what a
  round leaves
- `library`: a closed AI round offered to the story library with each contributor's consent
- `posts`: what is not yet posted, and where posts went so forget-me can edit them
- `forget`, `health`: forget-me and my data, and the health report's figures
"""

from __future__ import annotations

from bot.services.rounds.advice import coaching_tip, looks_like_advice
from bot.services.rounds.choices import (
    check_proposition,
    core_themes,
    get_choice,
    open_topics,
    propose,
    round_choices,
    tally,
    vote,
    voted,
)
from bot.services.rounds.commitments import (
    add_commitment,
    due_asks,
    due_reminders,
    join_commitment,
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
from bot.services.rounds.interviews import (
    answer_retelling,
    due_pairings,
    interview_groups,
    opt_in,
    opted_in,
    partners,
    retell,
)
from bot.services.rounds.invitations import (
    at_sensible_hour,
    due_invitations,
    due_tea_breaks,
    mark_invited,
    mark_tea_break,
    note_once,
    participants,
    set_invitations,
    wants_invitations,
)
from bot.services.rounds.library import answer_offer, due_offers, mark_offered, own_words
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
    phase,
    phases,
    prompts_,
    round_for_thread,
    who,
)
from bot.services.rounds.phases import (
    MAX_ASYNC_MINUTES,
    PROMPT,
    advance,
    audience,
    close,
    due_prompts,
    due_to_advance,
    extend,
    max_minutes,
    minutes_left,
    pause,
    resume,
)
from bot.services.rounds.posts import (
    post_content,
    post_content_of,
    record_post,
    restale,
    settle_post,
    stale_posts,
    unannounced,
)
from bot.services.rounds.roles import (
    NotFacilitator,
    NotStarted,
    RoundClosed,
    may_contribute,
    may_control,
    require_control,
)
from bot.services.rounds.setup import (
    answer_presenter,
    awaiting_ask,
    default_mode,
    mark_presenter_asked,
    round_channel,
    set_people,
    start_ai,
    start_als,
)
from bot.services.rounds.synthesis import synthesis

__all__ = [
    "LIVE",
    "MAX_ASYNC_MINUTES",
    "MAX_PHASE_MINUTES",
    "PROMPT",
    "STARTED",
    "TEXT_MAX",
    "TOPIC_MAX",
    "NotFacilitator",
    "NotStarted",
    "RoundClosed",
    "RoundLine",
    "add_commitment",
    "add_contribution",
    "advance",
    "answer_offer",
    "answer_presenter",
    "answer_retelling",
    "at_sensible_hour",
    "audience",
    "awaiting_ask",
    "check_proposition",
    "close",
    "coaching_tip",
    "core_themes",
    "default_mode",
    "due_asks",
    "due_invitations",
    "due_offers",
    "due_pairings",
    "due_prompts",
    "due_reminders",
    "due_tea_breaks",
    "due_to_advance",
    "extend",
    "forget_member",
    "form_phase",
    "get_choice",
    "get_round",
    "health_figures",
    "interview_groups",
    "is_question_phase",
    "join_commitment",
    "list_rounds",
    "local_due",
    "local_today",
    "looks_like_advice",
    "mark_commitment",
    "mark_invited",
    "mark_offered",
    "mark_presenter_asked",
    "mark_tea_break",
    "max_minutes",
    "may_contribute",
    "may_control",
    "member_data",
    "minutes_left",
    "note_once",
    "open_topics",
    "opt_in",
    "opted_in",
    "own_commitment",
    "own_words",
    "parse_due",
    "participants",
    "partners",
    "pause",
    "phase",
    "phases",
    "post_content",
    "post_content_of",
    "previous_actions",
    "prompts_",
    "propose",
    "record_post",
    "record_report",
    "report_back",
    "require_control",
    "restale",
    "resume",
    "retell",
    "round_channel",
    "round_choices",
    "round_for_thread",
    "set_invitations",
    "set_people",
    "settle_post",
    "stale_posts",
    "start_ai",
    "start_als",
    "synthesis",
    "tally",
    "unannounced",
    "vote",
    "voted",
    "wants_invitations",
    "who",
]
