"""`/cop pairing on|off|pause|resume|skip|avoid|unavoid|status|stats`: a member's own pairing
choices (the App Home's buttons make the same changes), and the convenors' counts."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

import prompts
from bot.builders import pairing as builders
from bot.db import unit_of_work
from bot.errors import InvalidInput, NotAConvenor
from bot.models import utcnow
from bot.services import pairing
from bot.text import escape
from handlers import home
from handlers.middleware import viewer_of
from handlers.pairing.common import me

USAGE = "on | off | pause | resume | skip | avoid @someone | unavoid @someone | status"
WORDS = ("on", "off", "pause", "resume", "skip", "avoid", "unavoid", "status", "stats")


def change(context: BoltContext, word: str, args: str = "") -> str:
    """Apply one pairing choice for the person behind the request; returns the reply."""
    viewer = viewer_of(context)
    replies = prompts.load("pairing")["replies"]
    config = pairing.config_from(dict(context["settings"].extra))
    with unit_of_work(context["db"]) as session:
        member = me(session, viewer)
        if word == "on":
            pairing.set_opted_in(session, member, True)
        elif word == "off":
            pairing.set_opted_in(session, member, False)
        elif word == "pause":
            pairing.set_paused(session, member, True)
        elif word == "resume":
            pairing.set_paused(session, member, False)
        elif word == "skip":
            pairing.skip_next(session, member, now=utcnow(), config=config)
        elif word in ("avoid", "unavoid"):
            other = pairing.member_named(session, member.community_id, args)
            (pairing.avoid if word == "avoid" else pairing.unavoid)(session, member, other)
            return str(replies[word].format(name=escape(other.name)))
        elif word == "stats":
            if not viewer.is_convenor:
                raise NotAConvenor()
            return builders.stats_text(pairing.stats(session, member.community_id))
        else:
            chosen = pairing.choices(session, member, now=utcnow(), config=config)
            return builders.status_text(chosen, period_days=config.period_days)
        return str(replies[word])


def on_pairing_command(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    word, _, rest = args.partition(" ")
    word = word.lower() or "status"
    if word not in WORDS:
        ack(response_type="ephemeral", text=f"`/cop pairing {USAGE}`")
        return
    try:
        reply = change(context, word, rest)
    except (InvalidInput, NotAConvenor) as exc:
        ack(response_type="ephemeral", text=exc.user_message)
        return
    ack(response_type="ephemeral", text=reply)
    home.publish_home(client, context["db"], viewer_of(context).user_id)
