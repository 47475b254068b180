"""A round's own posts in its channel, in order: the opening (which starts its thread), each
phase as it comes, and the synthesis when it closes. A set not yet started posts nothing in
the channel: its presenter is asked first."""

from __future__ import annotations

from bot.builders import rounds as builders
from bot.builders.common import for_community
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Sender
from bot.models import Round, RoundPostKind, RoundStatus
from bot.schedules.rounds.presenter import ask_presenter
from bot.services import membership
from bot.services import rounds as svc


def publish(sender: Sender, session_factory: SessionFactory, round_id: int) -> None:
    """Post whatever of this round is not yet in Slack: its opening, current phase, synthesis.
    A set that has not started posts nothing in the channel: its presenter is asked first."""
    with unit_of_work(session_factory) as session:
        round_ = session.get(Round, round_id)
        if round_ is None:
            return
        started, ask = round_.status in svc.STARTED, svc.awaiting_ask(round_)
        channel, thread_ts = round_.channel_id, round_.thread_ts
        text, blocks = builders.opening(round_) if started else ("", [])
    if not started:
        if ask:
            ask_presenter(sender, session_factory, round_id)
        return
    if thread_ts is None:
        outcome = sender.deliver(f"round:{round_id}:opening", channel, text=text, blocks=blocks)
        if not outcome.ts:
            return  # another worker is posting it; the next tick carries on
        thread_ts = outcome.ts
        with unit_of_work(session_factory) as session:
            session.get_one(Round, round_id).thread_ts = thread_ts
            svc.record_post(session, round_id, RoundPostKind.OPENING, channel, thread_ts)
    with unit_of_work(session_factory) as session:
        round_ = session.get_one(Round, round_id)
        index = round_.phase_index
        phase_due = round_.status != RoundStatus.CLOSED and round_.announced_phase < index
        text, blocks = builders.phase_post(round_) if phase_due else ("", [])
        if phase_due and round_.set_id is not None and membership.several(session):
            # a set's group DM is no CoP's channel: its buttons say which CoP they are for
            blocks = for_community(blocks, round_.community_id)
    if phase_due:
        key = f"round:{round_id}:phase:{index}"
        sender.deliver(key, channel, text=text, blocks=blocks, thread_ts=thread_ts)
        with unit_of_work(session_factory) as session:
            round_ = session.get_one(Round, round_id)
            round_.announced_phase = max(round_.announced_phase, index)
    with unit_of_work(session_factory) as session:
        round_ = session.get_one(Round, round_id)
        closing = round_.status == RoundStatus.CLOSED and not round_.synthesis_posted
        text, blocks = builders.synthesis_post(round_) if closing else ("", [])
    if closing:
        outcome = sender.deliver(
            f"round:{round_id}:synthesis",
            channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            reply_broadcast=True,
        )
        with unit_of_work(session_factory) as session:
            session.get_one(Round, round_id).synthesis_posted = True
            if outcome.ts:
                svc.record_post(session, round_id, RoundPostKind.SYNTHESIS, channel, outcome.ts)
