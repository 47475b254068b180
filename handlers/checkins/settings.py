"""The convenors' check-in settings: `/checkin settings`, the button and the form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

import prompts
from bot.builders import checkins as builders
from bot.builders.ids import CheckinIds
from bot.db import unit_of_work
from bot.errors import NotAMember
from bot.services import checkins, membership
from handlers import home
from handlers.forms import for_cop, input_value
from handlers.middleware import viewer_of


def open_settings(client: WebClient, trigger_id: str, context: BoltContext) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, viewer.community_id or 0)
        schedule = checkins.get_schedule(community) if community else checkins.Schedule()
    view = for_cop(builders.settings_modal(schedule), viewer_of(context).community_id)
    client.views_open(trigger_id=trigger_id, view=view)


def on_settings_command(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    ack()
    open_settings(client, body["trigger_id"], context)


def on_settings_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    open_settings(client, body["trigger_id"], context)


def on_settings_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    values = view["state"]["values"]
    # Bad input raises InvalidInput: the error handler shows its field errors on the form.
    schedule = checkins.validate_schedule(
        weekday=input_value(values, CheckinIds.SETTINGS_WEEKDAY),
        at=input_value(values, CheckinIds.SETTINGS_TIME),
        reminder_hours=input_value(values, CheckinIds.SETTINGS_REMINDER),
        window_hours=input_value(values, CheckinIds.SETTINGS_WINDOW),
        enabled=CheckinIds.SETTINGS_ENABLED_YES.value
        in (input_value(values, CheckinIds.SETTINGS_ENABLED) or []),
        field_ids=builders.SETTINGS_FIELD_IDS,
    )
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, viewer.community_id or 0)
        if community is None:
            raise NotAMember()
        checkins.save_schedule(session, community, schedule)
    ack()
    text = prompts.load("checkins")["settings_saved"].format(
        weekday=checkins.WEEKDAYS[schedule.weekday], time=schedule.at.strftime("%H:%M")
    )
    context["sender"].deliver(f"checkin-settings:{view['id']}", viewer.user_id, text=text)
    home.publish_home(client, context["db"], viewer.user_id)
