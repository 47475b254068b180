"""Quiet members of a live round are invited, privately and once a phase, to the thread;
anyone who said no to invitations is left alone, even mid-way through a round's list."""

from __future__ import annotations

import logging
from datetime import datetime

from bot import runtime
from bot.builders import rounds as builders
from bot.db import SessionFactory, unit_of_work
from bot.models import Round
from bot.schedules.rounds.marking import marked
from bot.services import membership
from bot.services import rounds as svc
from bot.text import escape

log = logging.getLogger(__name__)


def invite(route: runtime.Routing, session_factory: SessionFactory, now: datetime, tz: str) -> None:
    """Each round's quiet members, invited once a phase with a link to its thread."""
    messages = svc.prompts_()["messages"]
    with unit_of_work(session_factory) as session:
        due = []
        for round_, people in svc.due_invitations(session, now, workspace_tz=tz):
            ph = svc.phase(round_) or {}
            text_args = {
                "kind": "appreciative-inquiry round",
                "topic": escape(round_.topic),
                "phase": ph.get("name", ""),
            }
            skip = {round_.facilitator.user_id} if round_.facilitator else set()
            targets = [(m.id, m.user_id) for m in people if m.user_id not in skip]
            cop = round_.community_id if membership.several(session) else None
            due.append(
                (
                    round_.id,
                    round_.phase_index,
                    round_.channel_id,
                    round_.thread_ts,
                    text_args,
                    targets,
                    cop,
                )
            )
    for sender, row in runtime.routed(route, due):
        round_id, index, channel, thread, args, targets, cop = row
        try:
            link = sender.client.chat_getPermalink(channel=channel, message_ts=thread or "")[
                "permalink"
            ]
            for member_id, user_id in targets:
                with unit_of_work(session_factory) as session:
                    if not svc.wants_invitations(session, member_id):
                        continue  # said no while the others were being invited
                text = messages["invite"].format(link=link, **args)
                sender.deliver(
                    f"round:{round_id}:invite:{user_id}",
                    user_id,
                    text=text,
                    blocks=marked(builders.invite_blocks(text), cop),
                )
                with unit_of_work(session_factory) as session:
                    svc.note_once(session, session.get_one(Round, round_id), member_id, "invite")
            with unit_of_work(session_factory) as session:
                svc.mark_invited(session, round_id, index)
        except Exception:
            log.exception("could not invite members to round %s", round_id)
