"""Tea breaks in a live round: a nudge in its thread when one is due, and its timer stops
for tea."""

from __future__ import annotations

import logging
from datetime import datetime

from bot import runtime
from bot.db import SessionFactory, unit_of_work
from bot.services import rounds as svc

log = logging.getLogger(__name__)


def tea_breaks(route: runtime.Routing, session_factory: SessionFactory, now: datetime) -> None:
    """Each round due a tea break gets its nudge, once."""
    with unit_of_work(session_factory) as session:
        due = [(r.id, r.channel_id, r.thread_ts) for r in svc.due_tea_breaks(session, now)]
    for sender, (round_id, channel, thread_ts) in runtime.routed(route, due):
        try:
            with unit_of_work(session_factory) as session:
                text = svc.take_tea_break(session, round_id, now)  # the timer stops for tea
            sender.deliver(f"round:{round_id}:tea", channel, text=text, thread_ts=thread_ts)
            with unit_of_work(session_factory) as session:
                svc.mark_tea_break(session, round_id)
        except Exception:
            log.exception("could not nudge a tea break in round %s", round_id)
