"""Who may do what in a round: the convenor or the round's facilitator steers it; members
contribute in the phases that ask for it, and in a set only the presenter reflects and commits."""

from __future__ import annotations

from bot.errors import KettleError
from bot.models import Round, RoundKind, RoundStatus
from bot.services.membership import Viewer
from bot.services.rounds.method import LIVE, phase, plan, prompts_, turn_of


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
        if current.get("review"):  # the learning review: everyone in the set
            return in_the_set(round_, viewer)
        if current.get("report_back"):  # last meeting's presenters
            return viewer.member_id in (round_.settings or {}).get("reporting", [])
        presenting = current.get("reflection") or current.get("commitments")
        return bool(presenting or current.get("restate")) and (
            viewer.member_id is not None and viewer.member_id == turn_of(round_)
        )
    return bool(current.get("contributes"))


def in_the_set(round_: Round, viewer: Viewer) -> bool:
    """The viewer is one of the set's people: a member, the adviser or a presenter."""
    if viewer.user_id in (round_.set_members or []):
        return True
    people = {round_.presenter_id, round_.facilitator_id, *(m for _, m in plan(round_))}
    return viewer.member_id is not None and viewer.member_id in people
