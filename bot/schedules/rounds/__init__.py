"""Rounds on the clock and right after a press: the capability's one public face. A tick a
minute advances phases, posts what is due and follows up; handlers call `publish` too, right
after they change a round. Every post goes through the delivery ledger with a stable key, so a
double tick, a restart or a second replica never posts twice, and a round carries on from where
the database says it is. Each concern has its module:

- `clock`: the tick itself and its job
- `thread`: the round's own posts (opening, phases, synthesis)
- `presenter`: a proposed set's private ask, and the starter's word of the answer
- `posts`: lines in the thread remembered where they went, and their edits after a forget-me
- `invitations`, `tea`, `follow_ups`: quiet members invited, tea breaks, commitments followed up
- `inquiry`: prompts over days, interview pairs, retellings and library offers
- `marking`: a DM's buttons marked with their CoP where the install has several
"""

from __future__ import annotations

from bot.schedules.rounds.clock import JOB_REF, rounds_jobs, tick
from bot.schedules.rounds.follow_ups import follow_ups
from bot.schedules.rounds.inquiry import (
    ask_partner,
    commitment_line,
    contribution_line,
    offer_library,
    pair_due,
    pair_for_interviews,
    send_prompts,
)
from bot.schedules.rounds.invitations import invite
from bot.schedules.rounds.marking import marked, marked_for
from bot.schedules.rounds.posts import post_line, post_note, refresh_posts, render_post
from bot.schedules.rounds.presenter import ask_presenter, tell_starter
from bot.schedules.rounds.tea import tea_breaks
from bot.schedules.rounds.thread import publish

__all__ = [
    "JOB_REF",
    "ask_partner",
    "ask_presenter",
    "commitment_line",
    "contribution_line",
    "follow_ups",
    "invite",
    "marked",
    "marked_for",
    "offer_library",
    "pair_due",
    "pair_for_interviews",
    "post_line",
    "post_note",
    "publish",
    "refresh_posts",
    "render_post",
    "rounds_jobs",
    "send_prompts",
    "tea_breaks",
    "tell_starter",
    "tick",
]
