"""/meeting: plan, list, edit and cancel meetings; RSVP, calendar and pulse buttons.
Each concern has its module; this one registers them and adds the App Home section."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App
from sqlalchemy.orm import Session

from bot.builders import meetings as builders
from bot.builders.ids import Command, MeetingIds
from bot.models import utcnow
from bot.services import meetings as svc
from bot.services.membership import Viewer
from handlers import home, registry
from handlers.meetings.attend import (
    on_calendar,
    on_note_submitted,
    on_pulse_note,
    on_pulse_score,
    on_rsvp,
)
from handlers.meetings.form import on_meeting_submitted
from handlers.meetings.manage import (
    on_cancel_button,
    on_edit_button,
    on_meeting_cancel,
    on_meeting_edit,
    on_meeting_form,
    on_meeting_list,
)
from handlers.middleware import convenors_only, members_only


def meetings_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    items = svc.upcoming(session, viewer.community_id or 0, now=utcnow(), limit=5)
    return builders.home_section(items, convenor=viewer.is_convenor)


def register(app: App) -> None:
    words = [
        ("", on_meeting_form, registry.CONVENOR, "plan a meeting (convenors)"),
        ("list", on_meeting_list, registry.MEMBER, "upcoming meetings"),
        ("edit", on_meeting_edit, registry.CONVENOR, "<number> change a meeting"),
        ("cancel", on_meeting_cancel, registry.CONVENOR, "<number> cancel a meeting"),
    ]
    for word, listener, access, usage in words:
        registry.subcommand(app, Command.MEETING, word, listener, access=access, usage=usage)
    app.view(MeetingIds.MODAL, middleware=[convenors_only])(on_meeting_submitted)
    for action in builders.RSVP_ACTIONS:
        app.action(action, middleware=[members_only])(on_rsvp)
    app.action(MeetingIds.CALENDAR, middleware=[members_only])(on_calendar)
    app.action(MeetingIds.EDIT, middleware=[convenors_only])(on_edit_button)
    app.action(MeetingIds.CANCEL, middleware=[convenors_only])(on_cancel_button)
    app.action(re.compile(rf"^{MeetingIds.PULSE_SCORE}_[1-5]$"), middleware=[members_only])(
        on_pulse_score
    )
    app.action(MeetingIds.PULSE_NOTE, middleware=[members_only])(on_pulse_note)
    app.view(MeetingIds.NOTE_MODAL, middleware=[members_only])(on_note_submitted)
    home.add_section(30, "meetings", meetings_home_section)


__all__ = ["register"]
