"""Steering a round (convenor or facilitator only): next, pause, resume, extend, end, pair."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.builders.ids import RoundIds
from bot.db import unit_of_work
from bot.models import Round, utcnow
from bot.schedules import rounds as runner
from bot.services import rounds as svc
from bot.text import escape
from handlers.middleware import tell, viewer_of
from handlers.rounds.common import round_and_phase


def _steer(action: Callable[..., Any], note: str | None) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        viewer = viewer_of(context)
        round_id, index = round_and_phase(body)
        now = utcnow()
        with unit_of_work(context["db"]) as session:
            round_ = svc.get_round(session, round_id, community_id=viewer.community_id)
            svc.require_control(round_, viewer)
            changed = action(session, round_, now=now, expected_phase=index)
            minutes = svc.minutes_left(round_, now)
        if changed and note:
            messages = svc.prompts_()["messages"]
            wording = note
            if note == "resumed" and not minutes and "resumed_by_hand" in messages:
                wording = "resumed_by_hand"  # a phase run by hand has no time left to tell
            pressed = (body.get("actions") or [{}])[0].get("action_ts") or now.isoformat()
            runner.post_note(
                context["sender"],
                context["db"],
                round_id,
                key=f"round:{round_id}:{note}:{index}:{pressed}",
                note=wording,
                minutes=minutes or 5,
                member_id=viewer.member_id,
                who=escape(viewer.name or "the facilitator"),
            )
        runner.publish(context["sender"], context["db"], round_id)

    listener.__name__ = f"on_{note or action.__name__}"
    return listener


def _advance(session: Any, round_: Round, *, now: Any, expected_phase: int) -> bool:
    return svc.advance(session, round_, now=now, expected_phase=expected_phase)


def _pause(session: Any, round_: Round, *, now: Any, expected_phase: int) -> bool:
    return svc.pause(session, round_, now=now)


def _resume(session: Any, round_: Round, *, now: Any, expected_phase: int) -> bool:
    return svc.resume(session, round_, now=now)


def _extend(session: Any, round_: Round, *, now: Any, expected_phase: int) -> bool:
    if expected_phase != round_.phase_index:
        return False
    svc.extend(session, round_, minutes=5, now=now)
    return True


def _end(session: Any, round_: Round, *, now: Any, expected_phase: int) -> bool:
    svc.close(session, round_, now=now)
    return True


def on_pair(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    round_id, _ = round_and_phase(body)
    with unit_of_work(context["db"]) as session:
        round_ = svc.get_round(session, round_id, community_id=viewer.community_id)
        svc.require_control(round_, viewer)
    count = runner.pair_for_interviews(context["sender"], context["db"], round_id)
    tell(body, client, context, f"Paired the group into {count} interviews.")


def steering() -> dict[RoundIds, Callable[..., None]]:
    """Each steering button's listener (all but Pair, which has its own)."""
    return {
        RoundIds.NEXT: _steer(_advance, None),
        RoundIds.PAUSE: _steer(_pause, "paused"),
        RoundIds.RESUME: _steer(_resume, "resumed"),
        RoundIds.EXTEND: _steer(_extend, "extended"),
        RoundIds.END: _steer(_end, "ended"),
    }
