"""Commitments made in a round are followed up privately: a reminder before they are due,
and afterwards an ask of how they went, each once."""

from __future__ import annotations

import logging
from datetime import datetime

from bot import runtime
from bot.builders import rounds as builders
from bot.db import SessionFactory, unit_of_work
from bot.models import RoundCommitment
from bot.schedules.rounds.marking import marked
from bot.services import membership
from bot.services import rounds as svc
from bot.text import escape

log = logging.getLogger(__name__)


def _commitment_texts(
    template: str, commitments: list[RoundCommitment]
) -> list[tuple[int, int, str, str]]:
    """(its round, commitment id, its owner's user id, the message) for each commitment whose
    owner is still known, its date as they picked it."""
    return [
        (
            c.round_id,
            c.id,
            c.member.user_id,
            template.format(
                what=escape(c.what),
                when=f"{svc.local_due(c):%a %d %b}",
                topic=escape(c.round.topic),
            ),
        )
        for c in commitments
        if c.member is not None
    ]


def follow_ups(route: runtime.Routing, session_factory: SessionFactory, now: datetime) -> None:
    """Reminders and asks that are due at `now`, each sent once."""
    messages = svc.prompts_()["messages"]
    with unit_of_work(session_factory) as session:
        reminders = _commitment_texts(messages["remind"], svc.due_reminders(session, now))
        due_asks = svc.due_asks(session, now)
        asks = _commitment_texts(messages["ask"], due_asks)
        several = membership.several(session)
        cops = {c.id: c.round.community_id if several else None for c in due_asks}
    for sender, (_, commitment_id, user_id, text) in runtime.routed(route, reminders):
        try:
            sender.deliver(f"round-commitment:{commitment_id}:remind", user_id, text=text)
            with unit_of_work(session_factory) as session:
                svc.mark_commitment(session, commitment_id, "reminded_at", now)
        except Exception:
            log.exception("could not remind about commitment %s", commitment_id)
    for sender, (_, commitment_id, user_id, text) in runtime.routed(route, asks):
        try:
            sender.deliver(
                f"round-commitment:{commitment_id}:ask",
                user_id,
                text=text,
                blocks=marked(builders.ask_blocks(text, commitment_id), cops.get(commitment_id)),
            )
            with unit_of_work(session_factory) as session:
                svc.mark_commitment(session, commitment_id, "asked_at", now)
        except Exception:
            log.exception("could not ask how commitment %s went", commitment_id)
