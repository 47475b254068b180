"""Housekeeping: forget inbound delivery ids once Slack can no longer retry them, and install
links once dead; give up on files whose fetching stopped (telling their senders) and forget
them once long failed."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import delete

from bot import delivery, runtime
from bot.db import unit_of_work
from bot.models import Community, ProcessedRequest, slack_oauth_states, utcnow
from bot.schedules import setup
from bot.services import stories
from bot.text import escape

log = logging.getLogger(__name__)

#: A file still pending this long after it arrived is not being fetched any more (a download
#: gives up after minutes); its process stopped.
STALE_FILE = timedelta(hours=1)
FORGET_FAILED_FILE = timedelta(days=30)


def prune_processed_requests() -> None:
    """Slack retries within minutes; a week of ids is plenty."""
    rt = runtime.current()
    with unit_of_work(rt.session_factory) as session:
        cutoff = utcnow() - timedelta(days=7)
        session.execute(delete(ProcessedRequest).where(ProcessedRequest.created_at < cutoff))
        # Install links never followed: their states are dead once expired (naive UTC, as
        # slack_sdk's state store writes them).
        now = utcnow().replace(tzinfo=None)
        session.execute(delete(slack_oauth_states).where(slack_oauth_states.c.expire_at < now))


def give_up_stale_files() -> int:
    """Mark files left pending by a stopped process failed, and tell each sender to send it
    again (through the outbox, once); returns how many."""
    rt = runtime.current()
    keys: list[tuple[str, int]] = []
    with unit_of_work(rt.session_factory) as session:
        for row in stories.stale_files(session, older_than=utcnow() - STALE_FILE):
            name = row.name
            failed = stories.fail_file(session, row.id)
            if failed is None or not failed.uploader_user_id:
                continue
            key = f"file-failed:{failed.id}:stale:{failed.created_at.isoformat()}"
            text = stories.could_not_fetch(escape(name)).user_message
            community = session.get(Community, failed.community_id)
            session.info["team_id"] = community.team_id if community else None  # its workspace
            delivery.queue(session, key, failed.uploader_user_id, text=text)
            keys.append((key, failed.community_id))
        stories.prune_failed_files(session, older_than=utcnow() - FORGET_FAILED_FILE)
    for key, community_id in keys:
        sender = rt.sender_for_community(community_id)
        if sender is None:
            continue
        try:
            sender.deliver_queued(key)
        except Exception:
            log.exception("could not tell a sender their file was not kept; the outbox will")
    return len(keys)


@setup
def housekeeping_jobs(scheduler: BackgroundScheduler) -> None:
    scheduler.add_job(
        "bot.schedules.housekeeping:give_up_stale_files",
        trigger="interval",
        minutes=15,
        id="housekeeping:stale-files",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        "bot.schedules.housekeeping:prune_processed_requests",
        trigger="cron",
        hour=3,
        minute=17,
        id="housekeeping:prune-processed",
        replace_existing=True,
    )
