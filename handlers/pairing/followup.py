"""The 'did you meet?' answers: only someone in the group can give one."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.builders import pairing as builders
from bot.builders.ids import PairingIds
from bot.db import unit_of_work
from bot.services import pairing
from handlers.forms import number_in
from handlers.middleware import tell, viewer_of
from handlers.pairing.common import me


def on_met(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    action = body["actions"][0]
    met = action["action_id"] == PairingIds.MET_YES
    group_id = number_in(str(action.get("value") or ""))
    with unit_of_work(context["db"]) as session:
        pairing.record_met(session, group_id, me(session, viewer), met)
    channel = (body.get("channel") or {}).get("id")
    ts = (body.get("message") or {}).get("ts")
    if channel and ts:
        client.chat_update(
            channel=channel, ts=ts, text="Thank you", blocks=builders.answered_blocks(met)
        )
    else:
        tell(body, client, context, "Thank you.")
