"""The meeting form: open it (new or to edit) and save what the convenor submits."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

import prompts
from bot.builders import meetings as builders
from bot.builders.ids import MeetingIds
from bot.db import unit_of_work
from bot.models import utcnow
from bot.schedules.meetings import publish_post
from bot.services import meetings as svc
from bot.services import membership
from bot.services.membership import Viewer
from bot.text import escape
from handlers.forms import for_cop, input_value, metadata
from handlers.middleware import viewer_of

log = logging.getLogger(__name__)


def _meeting_tz(session: Session, viewer: Viewer, fallback: str) -> str:
    member = membership.viewer_member(session, viewer)
    return (member.tz if member and member.tz else None) or fallback


def _cop_channel(session: Session, viewer: Viewer) -> str | None:
    """The channel of the CoP the form is for (each CoP meets in its own)."""
    community = membership.community_by_id(session, viewer.community_id or 0)
    return community.channel_id if community else None


def open_form(
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
            default_channel=_cop_channel(session, viewer) or settings.cop_channel,
            meeting=meeting,
            occurrence=occurrence,
        )
    client.views_open(trigger_id=trigger_id, view=for_cop(view, viewer.community_id))


def on_meeting_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    settings = context["settings"]
    meeting_id = metadata(view).get("meeting_id")
    values = view["state"]["values"]
    now = utcnow()
    with unit_of_work(context["db"]) as session:
        meeting = (
            svc.get_meeting(session, int(meeting_id), community_id=viewer.community_id or 0)
            if meeting_id
            else None
        )
        tz = meeting.tz if meeting else _meeting_tz(session, viewer, settings.workspace_tz)
        # Bad input raises InvalidInput: the error handler shows its field errors on the form.
        draft = svc.validate_draft(
            title=input_value(values, MeetingIds.TITLE),
            day=input_value(values, MeetingIds.DAY),
            start=input_value(values, MeetingIds.START),
            duration=input_value(values, MeetingIds.DURATION),
            video_url=input_value(values, MeetingIds.VIDEO_URL),
            agenda=input_value(values, MeetingIds.AGENDA),
            channel_id=input_value(values, MeetingIds.CHANNEL),
            repeat=input_value(values, MeetingIds.REPEAT),
            tz=tz,
            now=now,
            field_ids=builders.FIELD_IDS,
        )
        community = membership.community_by_id(session, viewer.community_id or 0)
        convenor = membership.viewer_member(session, viewer)
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
    context["sender"].deliver(
        f"meeting-saved:{view['id']}",
        viewer.user_id,
        text=done.format(title=escape(title), channel=channel),
    )
