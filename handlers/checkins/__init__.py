"""/checkin, the DM's buttons (Check in, Skip this week, Pause until…), turning check-ins off and
on, the form, and the convenors' settings. Each concern has its module; this one registers them and adds the App Home
section."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from sqlalchemy.orm import Session

from bot.builders import checkins as builders
from bot.builders.ids import CheckinIds, Command
from bot.models import utcnow
from bot.services import checkins, membership
from bot.services.membership import Viewer
from handlers import home, registry
from handlers.checkins.form import on_checkin_command, on_checkin_submitted, on_open_button
from handlers.checkins.pause import (
    on_off_button,
    on_off_command,
    on_on_button,
    on_on_command,
    on_pause_button,
    on_pause_submitted,
    on_resume_command,
    on_skip_button,
)
from handlers.checkins.settings import (
    on_settings_button,
    on_settings_command,
    on_settings_submitted,
)
from handlers.middleware import convenors_only, members_only


def checkins_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    community = membership.community_by_id(session, viewer.community_id or 0)
    if community is None or viewer.member_id is None:
        return []
    return builders.home_section(
        checkins.recent_checkins(session, viewer.member_id),
        schedule=checkins.get_schedule(community),
        is_convenor=viewer.is_convenor,
        paused_until=checkins.paused_until(session, viewer.member_id, utcnow().date()),
        off=checkins.is_off(session, viewer.member_id),
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
    registry.subcommand(
        app,
        Command.CHECKIN,
        "resume",
        on_resume_command,
        usage="ends a pause early: check-ins start again from the next one",
    )
    registry.subcommand(
        app,
        Command.CHECKIN,
        "off",
        on_off_command,
        usage="turns weekly check-ins off for you, until you turn them back on",
    )
    registry.subcommand(
        app, Command.CHECKIN, "on", on_on_command, usage="turns weekly check-ins back on"
    )
    app.action(CheckinIds.OPEN_BUTTON, middleware=[members_only])(on_open_button)
    app.action(CheckinIds.OFF_BUTTON, middleware=[members_only])(on_off_button)
    app.action(CheckinIds.ON_BUTTON, middleware=[members_only])(on_on_button)
    app.action(CheckinIds.SKIP_BUTTON, middleware=[members_only])(on_skip_button)
    app.action(CheckinIds.PAUSE_BUTTON, middleware=[members_only])(on_pause_button)
    app.action(CheckinIds.SETTINGS_BUTTON, middleware=[convenors_only])(on_settings_button)
    app.view(CheckinIds.MODAL, middleware=[members_only])(on_checkin_submitted)
    app.view(CheckinIds.PAUSE_MODAL, middleware=[members_only])(on_pause_submitted)
    app.view(CheckinIds.SETTINGS_MODAL, middleware=[convenors_only])(on_settings_submitted)
    home.add_section(30, "checkins", checkins_home_section)
