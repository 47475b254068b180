"""Wires the capabilities' hooks to each other: forget-me, my data, the health report's figures
and the pairing intro's profile line.

Imported (for its effect) by the app factory, the server and the runtime that scheduled jobs
use, so every process that can forget someone, export their data or draw a report has them.
Registering twice is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bot.models import Member
from bot.services import checkins, knowledge, meetings, membership, pairing, rounds

_FORGET: list[Callable[[Session, Member], None]] = [
    checkins.forget_member,
    meetings.forget_member,
    pairing.forget_member,
    rounds.forget_member,
    knowledge.forget_member,
]

_MYDATA: dict[str, Callable[[Session, Member], Any]] = {
    "checkins": checkins.member_data,
    "meetings": meetings.member_data,
    "pairing": pairing.member_data,
    "rounds": rounds.member_data,
    "knowledge": knowledge.member_data,
}


def register() -> None:
    for hook in _FORGET:
        if hook not in membership.FORGET_HOOKS:
            membership.FORGET_HOOKS.append(hook)
    membership.MYDATA_HOOKS.update(_MYDATA)
    for provider in (checkins.health_figures, rounds.health_figures, meetings.health_figures):
        knowledge.register_health_provider(provider)
    pairing.add_profile_source(membership.conversation_starter)


register()
