"""The weekly check-in form: `/checkin`, the DM's Check in button, and the answer."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

import prompts
from bot.builders import checkins as builders
from bot.builders.ids import CheckinIds
from bot.db import unit_of_work
from bot.delivery import Sender, queue
from bot.errors import NotAMember
from bot.models import Visibility, utcnow
from bot.schedules.checkins import Outbound, send_all
from bot.services import checkins, membership
from bot.services.membership import Viewer
from handlers import home
from handlers.errors import later
from handlers.forms import action_value, for_cop, input_value, metadata
from handlers.middleware import viewer_of


def member_week(session: Session, viewer: Viewer, context: BoltContext, week: str | None) -> str:
    member = membership.viewer_member(session, viewer)
    community = membership.community_by_id(session, viewer.community_id or 0)
    if member is None or community is None:
        raise NotAMember()
    if week and _valid_week(week):
        return week
    return checkins.week_for_member(
        session,
        member=member,
        community=community,
        now=utcnow(),
        workspace_tz=context["settings"].workspace_tz,
    )


def _valid_week(week: str) -> bool:
    try:
        year, number = week.split("-W")
        date.fromisocalendar(int(year), int(number), 1)
        return True
    except ValueError:
        return False


def open_form(client: WebClient, trigger_id: str, context: BoltContext, week: str | None) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        week = member_week(session, viewer, context, week)
        existing = checkins.get_checkin(session, viewer.member_id or 0, week)
        view = builders.checkin_modal(week, existing)
    client.views_open(trigger_id=trigger_id, view=for_cop(view, viewer_of(context).community_id))


def on_checkin_command(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    ack()
    open_form(client, body["trigger_id"], context, None)


def on_open_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    week = action_value(body) or None
    open_form(client, body["trigger_id"], context, week)


def parse_answer(view: dict[str, Any]) -> checkins.Answer:
    values = view["state"]["values"]
    return checkins.validate_answer(
        mood=input_value(values, CheckinIds.MOOD),
        on_mind=input_value(values, CheckinIds.ON_MIND),
        win=input_value(values, CheckinIds.WIN),
        challenge=input_value(values, CheckinIds.CHALLENGE),
        support=input_value(values, CheckinIds.SUPPORT),
        tell_convenors=CheckinIds.TELL_CONVENORS_YES.value
        in (input_value(values, CheckinIds.TELL_CONVENORS) or []),
        visibility=input_value(values, CheckinIds.VISIBILITY),
        field_ids=builders.FIELD_IDS,
    )


def on_checkin_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    answer = parse_answer(view)  # bad input: the error handler shows its field errors on the form
    week = metadata(view).get("week")
    thanks_key = f"checkin-thanks:{view['id']}"
    with unit_of_work(context["db"]) as session:
        week = member_week(session, viewer, context, week)
        member = membership.viewer_member(session, viewer)
        assert member is not None
        checkin = checkins.record_answer(session, member=member, week=week, answer=answer)
        signal = checkins.care_signal(session, checkin)
        convenor_ids = membership.convenor_ids(session, member.community_id)
        care = builders.care_message(signal) if signal is not None else None
        if care is not None and membership.several(session):  # say which CoP's member it is
            care = builders.naming_cop(*care, member.community)
        # The thank-you is queued with the answer, so that a stop before it is sent loses
        # neither (the outbox sends it).
        queue(session, thanks_key, viewer.user_id, text=_thanks(answer.visibility, signal))
    ack()

    def after() -> None:
        sender: Sender = context["sender"]
        # At its pace from the courier: a wave of answers does not hold the pool asleep.
        context["courier"].send_queued(sender, thanks_key, viewer.user_id)
        if signal is not None and care is not None:
            text, blocks = care
            send_all(
                sender,
                [
                    Outbound(checkins.care_key(signal.member_id, signal.week, u), u, text, blocks)
                    for u in convenor_ids
                ],
                workers=1,
            )

    # After the ack, in the after-ack pool: none of it holds a listener another ack may need.
    later(context, body, client, after)
    home.publish_home_later(context, body, client, viewer.user_id)


def _thanks(visibility: Visibility, signal: checkins.CareSignal | None) -> str:
    p = prompts.load("checkins")
    where = {
        Visibility.PRIVATE: p["thanks_where_private"],
        Visibility.CONVENORS: p["thanks_where_convenors"],
        Visibility.COP: p["thanks_where_cop"],
    }[visibility]
    if signal is not None:
        where += " " + p["thanks_told"]
    return str(p["thanks"].format(where=where))
