"""Who may do what in a round: the convenor or the round's facilitator steers it; members
contribute in the phases that ask for it, and in a set only the presenter reflects and commits."""

from __future__ import annotations

from bot.errors import KettleError
from bot.models import Round, RoundKind, RoundStatus
from bot.services.membership import Viewer
from bot.services.rounds.method import LIVE, phase, prompts_


class NotFacilitator(KettleError):
    user_message = "Only a convenor or this round's facilitator can do that."


class RoundClosed(KettleError):
    user_message = "That round has closed."


class NotStarted(KettleError):
    user_message = "That set hasn't started: it waits for its presenter's yes."


def may_control(round_: Round, viewer: Viewer) -> bool:
    if viewer.community_id != round_.community_id or not viewer.is_member:
        return False
    return viewer.is_convenor or (
        round_.facilitator_id is not None and round_.facilitator_id == viewer.member_id
    )


def require_control(round_: Round, viewer: Viewer) -> None:
    if not may_control(round_, viewer):
        raise NotFacilitator(prompts_()["messages"]["not_facilitator"])
    if round_.status == RoundStatus.CLOSED:
        raise RoundClosed(prompts_()["messages"]["closed"])
    if round_.status not in LIVE:
        raise NotStarted(prompts_()["messages"]["not_started"])


def may_contribute(round_: Round, viewer: Viewer) -> bool:
    current = phase(round_)
    if current is None or round_.status not in LIVE or not viewer.is_member:
        return False
    if viewer.community_id != round_.community_id:
        return False
    if round_.kind == RoundKind.ALS:
        return bool(current.get("reflection") or current.get("commitments")) and (
            viewer.member_id == round_.presenter_id
        )
    return bool(current.get("contributes"))
