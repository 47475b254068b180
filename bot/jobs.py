"""Scheduled work registered centrally, each job with a stable id and its own unit of work."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import delete

from bot import runtime
from bot.db import unit_of_work
from bot.models import ProcessedRequest, utcnow
from bot.scheduler import Setup

log = logging.getLogger(__name__)

SETUPS: list[Setup] = []


def setup(fn: Setup) -> Setup:
    """Decorator: capabilities add their recurring jobs here."""
    SETUPS.append(fn)
    return fn


def prune_processed_requests() -> None:
    """Forget inbound delivery ids after a week; Slack retries within minutes."""
    rt = runtime.current()
    with unit_of_work(rt.session_factory) as session:
        cutoff = utcnow() - timedelta(days=7)
        session.execute(delete(ProcessedRequest).where(ProcessedRequest.created_at < cutoff))


@setup
def _housekeeping(scheduler: BackgroundScheduler) -> None:
    scheduler.add_job(
        "bot.jobs:prune_processed_requests",
        trigger="cron",
        hour=3,
        minute=17,
        id="housekeeping:prune-processed",
        replace_existing=True,
    )
