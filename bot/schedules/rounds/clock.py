"""The rounds tick, once a minute: advance what is due, post what is not yet posted, then the
private messages (invitations, prompts, interview pairs, library offers, tea breaks, follow-ups)
and the edits of stale posts. Safe to run twice, after a long pause or on a second replica."""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler

from bot import runtime
from bot.db import SessionFactory, unit_of_work
from bot.models import Round, utcnow
from bot.schedules import setup
from bot.schedules.rounds import inquiry
from bot.schedules.rounds.follow_ups import follow_ups
from bot.schedules.rounds.invitations import invite
from bot.schedules.rounds.posts import refresh_posts
from bot.schedules.rounds.tea import tea_breaks
from bot.schedules.rounds.thread import publish
from bot.services import rounds as svc

log = logging.getLogger(__name__)

JOB_REF = "bot.schedules.rounds:tick"  # stored by reference in the job store: keep it stable


def _advance_due(session_factory: SessionFactory, now: datetime) -> None:
    with unit_of_work(session_factory) as session:
        due = [r.id for r in svc.due_to_advance(session, now)]
    for round_id in due:
        try:
            with unit_of_work(session_factory) as session:
                round_ = session.get_one(Round, round_id)
                if round_.phase_deadline is not None and round_.phase_deadline <= now:
                    svc.advance(session, round_, now=now, expected_phase=round_.phase_index)
        except Exception:
            log.exception("could not advance round %s", round_id)


def _publish_all(route: runtime.Routing, session_factory: SessionFactory) -> None:
    with unit_of_work(session_factory) as session:
        ids = [(r.id,) for r in svc.unannounced(session)]
    for sender, (round_id,) in runtime.routed(route, ids):
        try:
            publish(sender, session_factory, round_id)
        except Exception:
            log.exception("could not publish round %s", round_id)


def tick(now: datetime | None = None) -> None:
    """Everything rounds need doing at `now`; safe to run twice or after a long pause."""
    rt = runtime.current()
    now = now or utcnow()
    _advance_due(rt.session_factory, now)
    route = rt.router(Round)  # each round's workspace's sender
    _publish_all(route, rt.session_factory)
    tz = rt.settings.workspace_tz
    invite(route, rt.session_factory, now, tz)
    inquiry.send_prompts(route, rt.session_factory, now, tz)
    inquiry.pair_due(route, rt.session_factory, now)
    inquiry.offer_library(route, rt.session_factory)
    tea_breaks(route, rt.session_factory, now)
    follow_ups(route, rt.session_factory, now)
    try:
        refresh_posts(route, rt.session_factory)
    except Exception:
        log.exception("could not refresh round posts")


@setup
def rounds_jobs(scheduler: BackgroundScheduler) -> None:
    scheduler.add_job(
        JOB_REF,
        trigger="interval",
        minutes=1,
        id="rounds:tick",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
