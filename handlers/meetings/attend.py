"""Members answer a meeting: RSVP, the calendar file, and the pulse afterwards."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

import prompts
from bot.builders import meetings as builders
from bot.builders.ids import MeetingIds
from bot.db import unit_of_work
from bot.models import utcnow
from bot.schedules.meetings import publish_post
from bot.services import meetings as svc
from bot.services import membership
from bot.text import escape
from handlers import home
from handlers.forms import action_value, for_cop, input_value, metadata
from handlers.middleware import tell, viewer_of


def on_rsvp(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    action_id = body["actions"][0]["action_id"]
    response = builders.RSVP_ACTIONS[MeetingIds(action_id)]
    meeting_id, day = builders.parse_occurrence_value(action_value(body))
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
    meeting_id, _day = builders.parse_occurrence_value(action_value(body))
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


def on_pulse_score(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    score = int(body["actions"][0]["action_id"].rsplit("_", 1)[-1])
    meeting_id, day = builders.parse_occurrence_value(action_value(body))
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
    meeting_id, day = builders.parse_occurrence_value(action_value(body))
    view = for_cop(builders.note_modal(meeting_id, day), viewer_of(context).community_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def on_note_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    meeting_id, day = builders.parse_occurrence_value(str(metadata(view).get("occurrence") or ""))
    note = input_value(view["state"]["values"], MeetingIds.NOTE) or ""
    with unit_of_work(context["db"]) as session:
        meeting = svc.get_meeting(session, meeting_id, community_id=viewer.community_id or 0)
        member = membership.get_member(session, meeting.community_id, viewer.user_id)
        assert member is not None
        svc.record_pulse(session, meeting, member, day, note=note)
    ack(response_action="update", view=_thanks_view())


def _thanks_view() -> dict[str, Any]:
    from bot.builders.common import notice_modal

    return notice_modal("Thank you", prompts.load("meetings")["pulse"]["note_thanks"])
