"""Housekeeping: forget inbound delivery ids once Slack can no longer retry them."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import delete

from bot import runtime
from bot.db import unit_of_work
from bot.models import ProcessedRequest, utcnow
from bot.schedules import setup


def prune_processed_requests() -> None:
    """Slack retries within minutes; a week of ids is plenty."""
    rt = runtime.current()
    with unit_of_work(rt.session_factory) as session:
        cutoff = utcnow() - timedelta(days=7)
        session.execute(delete(ProcessedRequest).where(ProcessedRequest.created_at < cutoff))


@setup
def housekeeping_jobs(scheduler: BackgroundScheduler) -> None:
    scheduler.add_job(
        "bot.schedules.housekeeping:prune_processed_requests",
        trigger="cron",
        hour=3,
        minute=17,
        id="housekeeping:prune-processed",
        replace_existing=True,
    )
