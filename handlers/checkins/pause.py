"""Stepping back from check-ins: Skip this week, Pause until…, and off (until turned on)."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

import prompts
from bot.builders import checkins as builders
from bot.builders.ids import CheckinIds
from bot.db import unit_of_work
from bot.errors import InvalidInput, NotAMember
from bot.models import CheckinStatus, utcnow
from bot.services import checkins, membership
from bot.text import escape
from handlers import home
from handlers.checkins.form import member_week
from handlers.forms import action_value, for_cop, input_value
from handlers.middleware import viewer_of


def on_skip_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    week = action_value(body) or None
    with unit_of_work(context["db"]) as session:
        week = member_week(session, viewer, context, week)
        member = membership.viewer_member(session, viewer)
        assert member is not None
        checkin, newly = checkins.record_skip(session, member=member, week=week)
        answered = checkin.status == CheckinStatus.ANSWERED
    if not newly and not answered:
        return  # a second press of Skip: they have been told already
    p = prompts.load("checkins")
    text = p["skip_after_answer" if answered else "skipped"].format(name=escape(viewer.name))
    client.chat_postMessage(channel=viewer.user_id, text=text)
    home.publish_home(client, context["db"], viewer.user_id)


def on_pause_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        member = membership.viewer_member(session, viewer)
        assert member is not None
        today = checkins.local_today(member, context["settings"].workspace_tz, utcnow())
    view = for_cop(builders.pause_modal(today), viewer_of(context).community_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def on_pause_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    raw = input_value(view["state"]["values"], CheckinIds.PAUSE_UNTIL)
    try:
        until = date.fromisoformat(raw) if raw else None
    except ValueError:
        until = None
    try:
        with unit_of_work(context["db"]) as session:
            member = membership.viewer_member(session, viewer)
            if member is None:
                raise NotAMember()
            today = checkins.local_today(member, context["settings"].workspace_tz, utcnow())
            checkins.pause(session, member=member, until=until, today=today)
    except InvalidInput as exc:
        ack(
            response_action="errors",
            errors={CheckinIds.PAUSE_UNTIL: next(iter(exc.field_errors.values()))},
        )
        return
    ack()
    assert until is not None
    text = prompts.load("checkins")["paused"].format(until=until.strftime("%A %d %B %Y"))
    context["sender"].deliver(f"checkin-paused:{view['id']}", viewer.user_id, text=text)
    home.publish_home(client, context["db"], viewer.user_id)


def on_resume_command(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    """`/checkin resume`: back from holiday early."""
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        member = membership.viewer_member(session, viewer)
        if member is None:
            raise NotAMember()
        was_paused = checkins.resume(session, member=member)
    p = prompts.load("checkins")
    ack(response_type="ephemeral", text=p["resumed" if was_paused else "not_paused"])
    home.publish_home(client, context["db"], viewer.user_id)


def _switch(context: BoltContext, *, off: bool) -> bool:
    """Turn the viewer's weekly check-ins off or on; whether that changed anything."""
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        member = membership.viewer_member(session, viewer)
        if member is None:
            raise NotAMember()
        if off:
            return checkins.turn_off(session, member=member)
        return checkins.turn_on(session, member=member)


def _switch_and_say(ack: Ack, client: WebClient, context: BoltContext, *, off: bool) -> None:
    """`/checkin off` or `on`: switch, say so (or that it was so already), refresh the Home."""
    done, already = ("off_done", "off_already") if off else ("on_done", "on_already")
    changed = _switch(context, off=off)
    ack(response_type="ephemeral", text=prompts.load("checkins")[done if changed else already])
    home.publish_home(client, context["db"], viewer_of(context).user_id)


def on_off_command(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    """`/checkin off`: no weekly DM or reminder until `/checkin on`."""
    _switch_and_say(ack, client, context, off=True)


def on_on_command(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    _switch_and_say(ack, client, context, off=False)


def on_off_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    _switch(context, off=True)
    home.publish_home(client, context["db"], viewer_of(context).user_id)


def on_on_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    _switch(context, off=False)
    home.publish_home(client, context["db"], viewer_of(context).user_id)
