"""/checkin, the DM's buttons (Check in, Skip this week, Pause until…), the form, and the
convenors' settings."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

import prompts
from bot.builders import checkins as builders
from bot.builders.ids import CheckinIds, Command
from bot.db import unit_of_work
from bot.errors import InvalidInput, NotAMember
from bot.models import Visibility, utcnow
from bot.schedules.checkins import Outbound, send_all
from bot.services import checkins, membership
from bot.services.membership import Viewer
from bot.text import escape
from handlers import home, registry
from handlers.middleware import convenors_only, members_only, viewer_of

log = logging.getLogger(__name__)


def _value(values: dict[str, Any], block_id: str) -> Any:
    state = (values.get(block_id) or {}).get(CheckinIds.INPUT) or {}
    if "selected_option" in state:
        return (state.get("selected_option") or {}).get("value")
    if "selected_options" in state:
        return [o.get("value") for o in state.get("selected_options") or []]
    for key in ("selected_date", "selected_time"):
        if key in state:
            return state.get(key)
    return state.get("value")


def _member_week(session: Session, viewer: Viewer, context: BoltContext, week: str | None) -> str:
    member = membership.get_member(session, viewer.community_id or 0, viewer.user_id)
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
        week = _member_week(session, viewer, context, week)
        existing = checkins.get_checkin(session, viewer.member_id or 0, week)
        view = builders.checkin_modal(week, existing)
    client.views_open(trigger_id=trigger_id, view=view)


def on_checkin_command(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    ack()
    open_form(client, body["trigger_id"], context, None)


def on_settings_command(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    ack()
    open_settings(client, body["trigger_id"], context)


def open_settings(client: WebClient, trigger_id: str, context: BoltContext) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, viewer.community_id or 0)
        schedule = checkins.get_schedule(community) if community else checkins.Schedule()
    client.views_open(trigger_id=trigger_id, view=builders.settings_modal(schedule))


def on_open_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    week = (body.get("actions") or [{}])[0].get("value") or None
    open_form(client, body["trigger_id"], context, week)


def on_skip_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    week = (body.get("actions") or [{}])[0].get("value") or None
    with unit_of_work(context["db"]) as session:
        week = _member_week(session, viewer, context, week)
        member = membership.get_member(session, viewer.community_id or 0, viewer.user_id)
        assert member is not None
        checkins.record_skip(session, member=member, week=week)
    text = prompts.load("checkins")["skipped"].format(name=escape(viewer.name))
    client.chat_postMessage(channel=viewer.user_id, text=text)
    home.publish_home(client, context["db"], viewer.user_id)


def on_pause_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        member = membership.get_member(session, viewer.community_id or 0, viewer.user_id)
        assert member is not None
        today = checkins.local_today(member, context["settings"].workspace_tz, utcnow())
    client.views_open(trigger_id=body["trigger_id"], view=builders.pause_modal(today))


def on_pause_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    raw = _value(view["state"]["values"], CheckinIds.PAUSE_UNTIL)
    try:
        until = date.fromisoformat(raw) if raw else None
    except ValueError:
        until = None
    try:
        with unit_of_work(context["db"]) as session:
            member = membership.get_member(session, viewer.community_id or 0, viewer.user_id)
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
    client.chat_postMessage(channel=viewer.user_id, text=text)
    home.publish_home(client, context["db"], viewer.user_id)


def parse_answer(view: dict[str, Any]) -> checkins.Answer:
    values = view["state"]["values"]
    return checkins.validate_answer(
        mood=_value(values, CheckinIds.MOOD),
        on_mind=_value(values, CheckinIds.ON_MIND),
        win=_value(values, CheckinIds.WIN),
        challenge=_value(values, CheckinIds.CHALLENGE),
        support=_value(values, CheckinIds.SUPPORT),
        wants_call=CheckinIds.WANTS_CALL_YES.value in (_value(values, CheckinIds.WANTS_CALL) or []),
        visibility=_value(values, CheckinIds.VISIBILITY),
        field_ids=builders.FIELD_IDS,
    )


def on_checkin_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    try:
        answer = parse_answer(view)
    except InvalidInput as exc:
        ack(response_action="errors", errors=exc.field_errors)
        return
    try:
        week = json.loads(view.get("private_metadata") or "{}").get("week")
    except ValueError:
        week = None
    with unit_of_work(context["db"]) as session:
        week = _member_week(session, viewer, context, week)
        member = membership.get_member(session, viewer.community_id or 0, viewer.user_id)
        assert member is not None
        checkin = checkins.record_answer(session, member=member, week=week, answer=answer)
        signal = checkins.care_signal(session, checkin)
        convenor_ids = [c.user_id for c in membership.convenors(session, member.community_id)]
    ack()
    p = prompts.load("checkins")
    where = {
        Visibility.PRIVATE: p["thanks_where_private"],
        Visibility.CONVENORS: p["thanks_where_convenors"],
        Visibility.COP: p["thanks_where_cop"],
    }[answer.visibility]
    client.chat_postMessage(channel=viewer.user_id, text=p["thanks"].format(where=where))
    if signal is not None:
        text, blocks = builders.care_message(signal)
        send_all(
            context["sender"],
            [
                Outbound(checkins.care_key(signal.member_id, signal.week, u), u, text, blocks)
                for u in convenor_ids
            ],
            workers=1,
        )
    home.publish_home(client, context["db"], viewer.user_id)


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
    try:
        schedule = checkins.validate_schedule(
            weekday=_value(values, CheckinIds.SETTINGS_WEEKDAY),
            at=_value(values, CheckinIds.SETTINGS_TIME),
            reminder_hours=_value(values, CheckinIds.SETTINGS_REMINDER),
            window_hours=_value(values, CheckinIds.SETTINGS_WINDOW),
            enabled=CheckinIds.SETTINGS_ENABLED_YES.value
            in (_value(values, CheckinIds.SETTINGS_ENABLED) or []),
            field_ids=builders.SETTINGS_FIELD_IDS,
        )
    except InvalidInput as exc:
        ack(response_action="errors", errors=exc.field_errors)
        return
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, viewer.community_id or 0)
        if community is None:
            raise NotAMember()
        checkins.save_schedule(session, community, schedule)
    ack()
    text = prompts.load("checkins")["settings_saved"].format(
        weekday=checkins.WEEKDAYS[schedule.weekday], time=schedule.at.strftime("%H:%M")
    )
    client.chat_postMessage(channel=viewer.user_id, text=text)
    home.publish_home(client, context["db"], viewer.user_id)


def checkins_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    community = membership.community_by_id(session, viewer.community_id or 0)
    if community is None or viewer.member_id is None:
        return []
    return builders.home_section(
        checkins.recent_checkins(session, viewer.member_id),
        schedule=checkins.get_schedule(community),
        is_convenor=viewer.is_convenor,
        paused_until=checkins.paused_until(session, viewer.member_id, utcnow().date()),
    )


def register(app: App) -> None:
    registry.subcommand(
        app, Command.CHECKIN, "", on_checkin_command, usage="opens this week's check-in"
    )
    registry.subcommand(
        app,
        Command.CHECKIN,
        "settings",
        on_settings_command,
        access=registry.CONVENOR,
        usage="sets the day and time check-ins go out",
    )
    app.action(CheckinIds.OPEN_BUTTON, middleware=[members_only])(on_open_button)
    app.action(CheckinIds.SKIP_BUTTON, middleware=[members_only])(on_skip_button)
    app.action(CheckinIds.PAUSE_BUTTON, middleware=[members_only])(on_pause_button)
    app.action(CheckinIds.SETTINGS_BUTTON, middleware=[convenors_only])(on_settings_button)
    app.view(CheckinIds.MODAL, middleware=[members_only])(on_checkin_submitted)
    app.view(CheckinIds.PAUSE_MODAL, middleware=[members_only])(on_pause_submitted)
    app.view(CheckinIds.SETTINGS_MODAL, middleware=[convenors_only])(on_settings_submitted)
    home.add_section(30, "checkins", checkins_home_section)
