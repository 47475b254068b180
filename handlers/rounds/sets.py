"""Standing action-learning sets: `/round set` (the form), `/round sets` (the viewer's own
sets and their learning reviews), volunteering to present from the call in one's DM, and the
volunteer's own confirmation before the meeting."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.builders import rounds as builders
from bot.builders.ids import RoundIds
from bot.db import unit_of_work
from bot.errors import NotAMember
from bot.models import utcnow
from bot.schedules import sets as standing
from bot.services import clock, membership
from bot.services import rounds as svc
from handlers.forms import action_value, for_cop, input_value, message_of, metadata, number_in
from handlers.middleware import tell, viewer_of
from handlers.rounds.common import answer_form, button_id
from handlers.rounds.setup import _starter

log = logging.getLogger(__name__)


def on_set(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        me = membership.viewer_member(session, viewer)
        tz = str(clock.zone(me.tz if me else None))
    ack()
    view = for_cop(builders.set_modal(tz=tz, me=viewer.user_id), viewer.community_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def on_sets(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        me = membership.viewer_member(session, viewer)
        mine = svc.my_sets(session, viewer.community_id or 0, viewer.user_id)
        said = {s.id: svc.reviews(session, s) for s in mine}
        text = builders.set_list(mine, me.tz if me else None, said)
    ack(response_type="ephemeral", text=text)


def on_set_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    viewer = viewer_of(context)
    values = view["state"]["values"]

    def create() -> tuple[int, bool]:
        with unit_of_work(context["db"]) as session:
            community, me = _starter(session, viewer)
            set_, created = svc.create_set(
                session,
                community=community,
                creator=me,
                name=input_value(values, RoundIds.SET_NAME),
                adviser_id=input_value(values, RoundIds.ADVISER),
                member_ids=list(input_value(values, RoundIds.MEMBERS) or []),
                rhythm=input_value(values, RoundIds.RHYTHM),
                day=input_value(values, RoundIds.DAY),
                at=input_value(values, RoundIds.TIME),
                meetings=str(input_value(values, RoundIds.MEETINGS) or ""),
                now=utcnow(),
                source_key=f"view:{view['id']}",
            )
            return set_.id, created

    made = answer_form(ack, create)
    if made is not None and made[1]:
        try:
            standing.open_space(context["sender"], context["db"], made[0])
        except Exception:
            log.exception("could not open set %s's group DM; the next tick tries again", made[0])


def _meeting(body: dict[str, Any]) -> tuple[int, datetime]:
    """The call's button value: `<set id>:<meeting time as a Unix timestamp>`."""
    set_id, _, stamp = action_value(body).partition(":")
    return number_in(set_id), datetime.fromtimestamp(number_in(stamp), tz=UTC)


def on_volunteer(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    set_id, meeting_at = _meeting(body)
    s = svc.prompts_()["sets"]
    with unit_of_work(context["db"]) as session:
        set_ = svc.get_set(session, set_id, community_id=viewer.community_id)
        if viewer.user_id not in set_.members:
            tell(body, client, context, s["not_a_set_member"])
            return
        if viewer.member_id == set_.adviser_id:
            tell(body, client, context, s["adviser_presents"])
            return
        if set_.next_meeting_at != meeting_at or meeting_at <= utcnow():
            tell(body, client, context, s["offer_closed"])
            return
        view = for_cop(builders.offer_modal(set_, meeting_at), viewer.community_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def on_offer_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    viewer = viewer_of(context)
    meta = metadata(view)
    values = view["state"]["values"]

    def volunteer() -> str:
        with unit_of_work(context["db"]) as session:
            set_ = svc.get_set(
                session, int(meta.get("set_id") or 0), community_id=viewer.community_id
            )
            me = membership.viewer_member(session, viewer)
            if me is None:
                raise NotAMember()
            meeting_at = datetime.fromtimestamp(int(meta.get("meeting_at") or 0), tz=UTC)
            offer = svc.offer(
                session,
                set_,
                me,
                meeting_at=meeting_at,
                problem=input_value(values, RoundIds.PROBLEM),
                help_wanted=input_value(values, RoundIds.HELP),
                now=utcnow(),
            )
            when = svc.local_when(offer.meeting_at, me.tz)
            return str(svc.prompts_()["sets"]["offer_thanks"]).format(when=when)

    thanks = answer_form(ack, volunteer)
    if thanks:
        context["sender"].deliver(f"set-offer:{view['id']}:thanks", viewer.user_id, text=thanks)


def on_offer_answer(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """The volunteer's own yes (they present) or no (they don't; nobody is told why)."""
    ack()
    viewer = viewer_of(context)
    yes = (body.get("actions") or [{}])[0].get("action_id") == RoundIds.OFFER_YES
    offer_id = button_id(body)
    with unit_of_work(context["db"]) as session:
        me = membership.viewer_member(session, viewer)
        if me is None:
            raise NotAMember()
        offer = svc.confirm_offer(session, offer_id, me, yes=yes, now=utcnow())
        if offer is None:
            tell(body, client, context, svc.prompts_()["als"]["already_answered"])
            return
        text, blocks = builders.confirm_answered(offer, yes=yes)
    channel, ts = message_of(body)
    if channel and ts:
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError:
            log.warning("could not mark the confirmation %s as answered", ts)
    else:
        tell(body, client, context, text)
