"""A presenter named by someone else says yes or no to an action-learning set: nothing about the
set is posted until they say yes, and a no ends it with a kind word to whoever proposed it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.builders import rounds as builders
from bot.builders.ids import RoundIds
from bot.db import unit_of_work
from bot.errors import NotAMember
from bot.models import utcnow
from bot.schedules import rounds as runner
from bot.services import membership
from bot.services import rounds as svc
from handlers.forms import message_of
from handlers.middleware import tell, viewer_of
from handlers.rounds.common import button_id

log = logging.getLogger(__name__)


def on_presenter_answer(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    viewer = viewer_of(context)
    yes = (body.get("actions") or [{}])[0].get("action_id") == RoundIds.PRESENT_YES
    round_id = button_id(body)
    with unit_of_work(context["db"]) as session:
        round_ = svc.get_round(session, round_id, community_id=viewer.community_id)
        me = membership.viewer_member(session, viewer)
        if me is None:
            raise NotAMember()
        changed = svc.answer_presenter(session, round_, me, yes=yes, now=utcnow())
        text, blocks = builders.presenter_answered(round_, yes=yes)
    if not changed:
        tell(body, client, context, svc.prompts_()["als"]["already_answered"])
        return
    channel, ts = message_of(body)
    if channel and ts:
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError:
            log.warning("could not mark the presenter's ask %s as answered", ts)
    runner.tell_starter(context["sender"], context["db"], round_id)
    if yes:
        runner.publish(context["sender"], context["db"], round_id)
