"""Wires the capabilities' hooks to each other: forget-me, a membership's end, my data, the health
report's figures, the pairing intro's profile line, and the notes the delivery ledger takes of
where posts went.

Imported (for its effect) by the app factory, the server and the runtime that scheduled jobs
use, so every process that can forget someone, export their data or draw a report has them.
Registering twice is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bot import delivery
from bot.models import Member
from bot.services import checkins, duties, knowledge, meetings, membership, pairing, rounds, stories

_FORGET: list[Callable[[Session, Member], None]] = [
    checkins.forget_member,
    meetings.forget_member,
    pairing.forget_member,
    rounds.forget_member,
    knowledge.forget_member,
]

# What each capability does when a membership ends (not forget-me, which has its own).
_LEAVE: list[Callable[[Session, Member], object]] = [rounds.leave_sets]

_MYDATA: dict[str, Callable[[Session, Member], Any]] = {
    "checkins": checkins.member_data,
    "meetings": meetings.member_data,
    "pairing": pairing.member_data,
    "rounds": rounds.member_data,
    "knowledge": knowledge.member_data,
}

_NON_MEMBER: dict[str, duties.NonMemberHook] = {
    "knowledge": duties.NonMemberHook(
        holds=knowledge.holds_of_non_member,
        forget=knowledge.forget_non_member,
        data=knowledge.non_member_data,
    ),
}

# Posts whose rows keep where they went, noted as the ledger marks them sent.
_ON_SENT: dict[str, delivery.SentHook] = {
    stories.COP_POST: stories.note_cop_post,
    knowledge.PUBLICATION_POST: knowledge.note_publication_post,
    knowledge.CALLOUT_POST: knowledge.note_callout_post,
}


def register() -> None:
    for hook in _FORGET:
        if hook not in duties.FORGET_HOOKS:
            duties.FORGET_HOOKS.append(hook)
    for on_leave in _LEAVE:
        if on_leave not in duties.LEAVE_HOOKS:
            duties.LEAVE_HOOKS.append(on_leave)
    duties.MYDATA_HOOKS.update(_MYDATA)
    duties.NON_MEMBER_HOOKS.update(_NON_MEMBER)
    for prefix, noted in _ON_SENT.items():
        delivery.on_sent(prefix, noted)
    for provider in (checkins.health_figures, rounds.health_figures, meetings.health_figures):
        duties.register_health_provider(provider)
    pairing.add_profile_source(membership.conversation_starter)


register()
