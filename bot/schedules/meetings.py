"""The meetings tick: every minute, send whatever has fallen due (reminders, tea, pulse, summary)
through the ledger, and keep each repeating meeting's post on its next date.

Also the one place that posts or updates a meeting's message, for listeners and the tick alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot import runtime
from bot.builders import meetings as builders
from bot.builders.common import for_community
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Sender
from bot.models import Meeting, MeetingStatus, utcnow
from bot.schedules import setup
from bot.services import meetings as svc
from bot.services import membership
from bot.services.meetings import DueKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    key: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    community_id: int | None = None  # whose workspace's token sends it


def publish_post(
    client: WebClient,
    session_factory: SessionFactory,
    sender: Sender,
    meeting_id: int,
    *,
    now: datetime,
) -> str | None:
    """Post the meeting once (ledgered), or bring the existing post up to date (chat.update)."""
    with unit_of_work(session_factory) as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            return None
        occ = svc.next_occurrence(meeting, now) or svc.occurrence_at(
            meeting, meeting.posted_occurrence or meeting.first_date
        )
        counts = svc.rsvp_counts(session, meeting.id, occ.day)
        going = svc.going_names(session, meeting.id, occ.day)
        live = meeting.status == MeetingStatus.SCHEDULED
        blocks = builders.meeting_post(meeting, occ if live else None, counts=counts, going=going)
        text = builders.post_text(meeting, occ if live else None)
        channel, ts = meeting.channel_id, meeting.message_ts
    if ts is None:
        outcome = sender.deliver(
            f"meeting:{meeting_id}:post:{channel}", channel, text=text, blocks=blocks
        )
        ts = outcome.ts
    else:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    if ts is not None:
        with unit_of_work(session_factory) as session:
            meeting = session.get(Meeting, meeting_id)
            if meeting is not None:
                svc.record_post(session, meeting, ts=ts, occurrence=occ.day)
    return ts


def _render(session: Any, item: svc.Due) -> list[Outgoing]:
    meeting = session.get(Meeting, item.meeting_id)
    occ = item.occurrence
    if item.kind in (DueKind.REMIND_DAY, DueKind.REMIND_HOUR, DueKind.START):
        text = builders.reminder_text(item.kind, meeting, occ)
        blocks = builders.reminder_blocks(item.kind, meeting, occ)
        return [Outgoing(item.key(u), u, text, blocks) for u in item.recipients]
    if item.kind == DueKind.TEA:
        text = builders.tea_text(meeting.id, occ.day)
        return [Outgoing(item.key(), meeting.channel_id, text, None, meeting.message_ts)]
    if item.kind == DueKind.PULSE:
        p = builders.pulse_blocks(meeting, occ)
        if membership.several(session):  # a DM: its buttons say which CoP they are for
            p = for_community(p, meeting.community_id)
        text = f"How was today's {meeting.title}?"
        return [Outgoing(item.key(u), u, text, p) for u in item.recipients]
    summary = svc.pulse_summary(session, meeting.id, occ.day)
    text = builders.summary_text(meeting, occ, summary)
    return [Outgoing(item.key(u), u, text) for u in item.recipients]


def run_tick(rt: runtime.Runtime, now: datetime) -> int:
    """Send what is due at `now`; returns how many messages this call posted."""
    config = svc.config_from(rt.settings.extra)
    with unit_of_work(rt.session_factory) as session:
        outgoing: list[Outgoing] = []
        for item in svc.due(session, now=now, config=config):
            try:
                community_id = session.get_one(Meeting, item.meeting_id).community_id
                outgoing.extend(
                    replace(o, community_id=community_id) for o in _render(session, item)
                )
            except Exception:
                log.exception("could not prepare %s", item.key())
        stale = [
            (meeting.id, meeting.community_id)
            for meeting, _occ in svc.posts_to_refresh(session, now=now)
        ]
    teams = rt.teams_of([o.community_id or 0 for o in outgoing] + [c for _m, c in stale])
    sent = 0
    for out in outgoing:
        sender = rt.sender_for(teams.get(out.community_id or 0))
        if sender is None:
            continue  # its workspace no longer has Kettle: said once in the log
        try:
            outcome = sender.deliver(
                out.key, out.channel, text=out.text, blocks=out.blocks, thread_ts=out.thread_ts
            )
            sent += int(outcome.sent)
        except Exception:
            log.exception("could not send %s", out.key)
    for meeting_id, community_id in stale:
        sender = rt.sender_for(teams.get(community_id))
        if sender is None:
            continue
        try:
            publish_post(sender.client, rt.session_factory, sender, meeting_id, now=now)
        except Exception:
            log.exception("could not refresh the post of meeting %s", meeting_id)
    return sent


def meetings_tick() -> None:
    run_tick(runtime.current(), utcnow())


@setup
def meetings_jobs(scheduler: BackgroundScheduler) -> None:
    scheduler.add_job(
        "bot.schedules.meetings:meetings_tick",
        trigger="interval",
        minutes=1,
        id="meetings:tick",
        replace_existing=True,
        timezone="UTC",
    )
