"""Pairing on the App Home: the member's choices with buttons to change them, and (for
convenors) the meeting rate."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.builders import pairing as builders
from bot.builders.ids import PairingIds
from bot.models import utcnow
from bot.services import membership, pairing
from bot.services.membership import Viewer
from handlers import home
from handlers.middleware import viewer_of
from handlers.pairing.words import change

BUTTON_WORDS = {
    PairingIds.OPT_IN: "on",
    PairingIds.OPT_OUT: "off",
    PairingIds.SKIP: "skip",
    PairingIds.RESUME: "resume",
}


def on_home_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    word = BUTTON_WORDS[PairingIds(body["actions"][0]["action_id"])]
    change(context, word)
    home.publish_home(client, context["db"], viewer_of(context).user_id)


def pairing_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    member = membership.viewer_member(session, viewer)
    if member is None:
        return []
    from bot import runtime

    try:
        extra = dict(runtime.current().settings.extra)
    except RuntimeError:
        extra = {}
    config = pairing.config_from(extra)
    chosen = pairing.choices(session, member, now=utcnow(), config=config)  # writes nothing
    return builders.home_section(
        chosen,
        period_days=config.period_days,
        stats=pairing.stats(session, member.community_id) if viewer.is_convenor else None,
    )
