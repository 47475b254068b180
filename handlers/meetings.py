"""/meeting: plan, list, edit and cancel meetings; RSVP, calendar and pulse buttons."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

import prompts
from bot.builders import meetings as builders
from bot.builders.ids import Command, MeetingIds
from bot.db import unit_of_work
from bot.errors import InvalidInput
from bot.models import utcnow
from bot.schedules.meetings import publish_post
from bot.services import meetings as svc
from bot.services import membership
from bot.services.membership import Viewer
from bot.text import escape
from handlers import home, registry
from handlers.middleware import convenors_only, members_only, tell, viewer_of

log = logging.getLogger(__name__)


def _value(values: dict[str, Any], block_id: str) -> Any:
    state = (values.get(block_id) or {}).get(MeetingIds.INPUT) or {}
    for key in ("selected_option", "selected_date", "selected_time", "selected_conversation"):
        if key in state:
            chosen = state.get(key)
            return chosen.get("value") if isinstance(chosen, dict) else chosen
    return state.get("value")


def _meeting_tz(session: Session, viewer: Viewer, fallback: str) -> str:
    member = membership.get_member(session, viewer.community_id or 0, viewer.user_id)
    return (member.tz if member and member.tz else None) or fallback


def _open_form(
    client: WebClient, trigger_id: str, context: BoltContext, meeting_id: int | None
) -> None:
    viewer = viewer_of(context)
    settings = context["settings"]
    with unit_of_work(context["db"]) as session:
        meeting = None
        occurrence = None
        if meeting_id is not None:
            meeting = svc.get_meeting(session, meeting_id, community_id=viewer.community_id or 0)
            occurrence = svc.next_occurrence(meeting, utcnow())
            tz = meeting.tz
        else:
            tz = _meeting_tz(session, viewer, settings.workspace_tz)
        view = builders.meeting_modal(
            community_id=viewer.community_id or 0,
            tz=tz,
            default_channel=settings.cop_channel,
            meeting=meeting,
            occurrence=occurrence,
        )
    client.views_open(trigger_id=trigger_id, view=view)


def _meeting_id(args: str) -> int:
    word = args.strip().lstrip("#")
    if not word.isdigit():
        raise InvalidInput("Which meeting? `/meeting list` shows their numbers.")
    return int(word)


# -- commands ---------------------------------------------------------------------------------


def on_meeting_form(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    ack()
    _open_form(client, body["trigger_id"], context, None)


def on_meeting_list(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        items = svc.upcoming(session, viewer.community_id or 0, now=utcnow())
        blocks = builders.meeting_list(items, convenor=viewer.is_convenor)
    ack(response_type="ephemeral", text="Upcoming meetings", blocks=blocks)


def on_meeting_edit(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    meeting_id = _meeting_id(args)
    ack()
    _open_form(client, body["trigger_id"], context, meeting_id)


def on_meeting_cancel(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    meeting_id = _meeting_id(args)
    ack()
    _cancel(client, body, context, meeting_id)


def _cancel(client: WebClient, body: dict[str, Any], context: BoltContext, meeting_id: int) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        meeting = svc.get_meeting(session, meeting_id, community_id=viewer.community_id or 0)
        changed = svc.cancel_meeting(session, meeting)
        title = meeting.title
    if changed:
        publish_post(client, context["db"], context["sender"], meeting_id, now=utcnow())
    tell(
        body,
        client,
        context,
        prompts.load("meetings")["texts"]["cancelled_ok"].format(title=escape(title)),
    )


# -- the form ---------------------------------------------------------------------------------


def on_meeting_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    settings = context["settings"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    meeting_id = metadata.get("meeting_id")
    values = view["state"]["values"]
    now = utcnow()
    with unit_of_work(context["db"]) as session:
        meeting = (
            svc.get_meeting(session, int(meeting_id), community_id=viewer.community_id or 0)
            if meeting_id
            else None
        )
        tz = meeting.tz if meeting else _meeting_tz(session, viewer, settings.workspace_tz)
        try:
            draft = svc.validate_draft(
                title=_value(values, MeetingIds.TITLE),
                day=_value(values, MeetingIds.DAY),
                start=_value(values, MeetingIds.START),
                duration=_value(values, MeetingIds.DURATION),
                video_url=_value(values, MeetingIds.VIDEO_URL),
                agenda=_value(values, MeetingIds.AGENDA),
                channel_id=_value(values, MeetingIds.CHANNEL),
                repeat=_value(values, MeetingIds.REPEAT),
                tz=tz,
                now=now,
                field_ids=builders.FIELD_IDS,
            )
        except InvalidInput as exc:
            ack(response_action="errors", errors=exc.field_errors)
            return
        community = membership.community_by_id(session, viewer.community_id or 0)
        convenor = membership.get_member(session, viewer.community_id or 0, viewer.user_id)
        if community is None or convenor is None:
            ack(response_action="errors", errors={MeetingIds.TITLE: "You're no longer a convenor."})
            return
        if meeting is None:
            meeting, changed = svc.create_meeting(
                session,
                community=community,
                convenor=convenor,
                draft=draft,
                tz=tz,
                source_key=f"view:{view['id']}",
                now=now,
            )
        else:
            svc.update_meeting(session, meeting, draft)
            changed = True
        saved_id, title, channel = meeting.id, meeting.title, meeting.channel_id
    ack()
    if not changed:
        return
    texts = prompts.load("meetings")["texts"]
    try:
        publish_post(client, context["db"], context["sender"], saved_id, now=now)
        done = texts["updated" if meeting_id else "posted"]
    except Exception:
        log.exception("could not post meeting %s in %s", saved_id, channel)
        done = texts["post_failed"]
    client.chat_postMessage(
        channel=viewer.user_id, text=done.format(title=escape(title), channel=channel)
    )


# -- buttons ----------------------------------------------------------------------------------


def _action_value(body: dict[str, Any]) -> str:
    return str((body.get("actions") or [{}])[0].get("value") or "")


def on_rsvp(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    action_id = body["actions"][0]["action_id"]
    response = builders.RSVP_ACTIONS[MeetingIds(action_id)]
    meeting_id, day = builders.parse_occurrence_value(_action_value(body))
    with unit_of_work(context["db"]) as session:
        meeting = svc.get_meeting(session, meeting_id, community_id=viewer.community_id or 0)
        member = membership.get_member(session, meeting.community_id, viewer.user_id)
        assert member is not None
        svc.occurrence_for_answer(meeting, day, utcnow())
        svc.set_rsvp(session, meeting, member, day, response)
    publish_post(client, context["db"], context["sender"], meeting_id, now=utcnow())
    tell(body, client, context, prompts.load("meetings")["rsvp"][f"answered_{response.value}"])
    home.publish_home(client, context["db"], viewer.user_id)


def on_calendar(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Send the .ics privately to whoever asked, always reflecting the latest edit."""
    ack()
    viewer = viewer_of(context)
    meeting_id, _day = builders.parse_occurrence_value(_action_value(body))
    with unit_of_work(context["db"]) as session:
        meeting = svc.get_meeting(session, meeting_id, community_id=viewer.community_id or 0)
        content = builders.ics(meeting, now=utcnow())
        title = meeting.title
    dm = client.conversations_open(users=viewer.user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=dm,
        content=content,
        filename=f"meeting-{meeting_id}.ics",
        title=title,
        initial_comment=prompts.load("meetings")["texts"]["calendar_comment"].format(
            title=escape(title)
        ),
    )


def on_edit_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    _open_form(client, body["trigger_id"], context, _meeting_id(_action_value(body)))


def on_cancel_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    _cancel(client, body, context, _meeting_id(_action_value(body)))


def on_pulse_score(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    score = int(body["actions"][0]["action_id"].rsplit("_", 1)[-1])
    meeting_id, day = builders.parse_occurrence_value(_action_value(body))
    with unit_of_work(context["db"]) as session:
        meeting = svc.get_meeting(session, meeting_id, community_id=viewer.community_id or 0)
        member = membership.get_member(session, meeting.community_id, viewer.user_id)
        assert member is not None
        svc.record_pulse(session, meeting, member, day, score=score)
        blocks = builders.pulse_thanks_blocks(meeting, day, score)
    channel = (body.get("channel") or {}).get("id")
    ts = (body.get("message") or {}).get("ts")
    if channel and ts:
        client.chat_update(channel=channel, ts=ts, text="Thank you", blocks=blocks)


def on_pulse_note(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    meeting_id, day = builders.parse_occurrence_value(_action_value(body))
    client.views_open(trigger_id=body["trigger_id"], view=builders.note_modal(meeting_id, day))


def on_note_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    meeting_id, day = builders.parse_occurrence_value(view.get("private_metadata"))
    note = _value(view["state"]["values"], MeetingIds.NOTE) or ""
    with unit_of_work(context["db"]) as session:
        meeting = svc.get_meeting(session, meeting_id, community_id=viewer.community_id or 0)
        member = membership.get_member(session, meeting.community_id, viewer.user_id)
        assert member is not None
        svc.record_pulse(session, meeting, member, day, note=note)
    ack(response_action="update", view=_thanks_view())


def _thanks_view() -> dict[str, Any]:
    from bot.builders.common import notice_modal

    return notice_modal("Thank you", prompts.load("meetings")["pulse"]["note_thanks"])


def meetings_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    items = svc.upcoming(session, viewer.community_id or 0, now=utcnow(), limit=5)
    return builders.home_section(items, convenor=viewer.is_convenor)


def register(app: App) -> None:
    usage = "plan a meeting (convenors)"
    registry.subcommand(
        app, Command.MEETING, "", on_meeting_form, access=registry.CONVENOR, usage=usage
    )
    registry.subcommand(
        app,
        Command.MEETING,
        "list",
        on_meeting_list,
        access=registry.MEMBER,
        usage="upcoming meetings",
    )
    registry.subcommand(
        app,
        Command.MEETING,
        "edit",
        on_meeting_edit,
        access=registry.CONVENOR,
        usage="<number> change a meeting",
    )
    registry.subcommand(
        app,
        Command.MEETING,
        "cancel",
        on_meeting_cancel,
        access=registry.CONVENOR,
        usage="<number> cancel a meeting",
    )
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
