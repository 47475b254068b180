"""The outbox sweeper: finish sends queued with a change whose send after the request was lost."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot import runtime, waiting
from bot.db import unit_of_work
from bot.schedules import setup

log = logging.getLogger(__name__)

# Leave the request's own send a head start; give up on messages that are a day stale.
GRACE = timedelta(seconds=60)
WITHIN = timedelta(hours=24)


def sweep() -> int:
    """Send every queued message still pending; returns how many this call sent."""
    rt = runtime.current()
    sent = 0
    with unit_of_work(rt.session_factory) as session:
        waits = set(waiting.waiting_keys(session))  # retry_waiting's, every 10 minutes
    for key in rt.sender.queued_keys(older_than=GRACE, within=WITHIN):
        if key in waits:
            continue
        # Sent with the token of the workspace it was queued for.
        sender = rt.sender_for(rt.sender.team_of(key))
        if sender is None:
            continue  # Kettle is not installed there (any more): said once in the log
        try:
            outcome = sender.deliver_queued(key)
        except Exception as exc:
            if waiting.mendable(exc):
                continue  # it waits for a person to mend it: retry_waiting and the invite
            log.exception("outbox: could not send %s yet; will try again", key)
            continue
        if outcome is not None and outcome.sent:
            sent += 1
    if sent:
        log.info("outbox: sent %d queued message(s) that had not gone out", sent)
    return sent


def retry_waiting() -> int:
    """What waits for a person to mend it (Kettle invited, a channel unarchived, a permission
    added) is tried again now and then, however long it has waited; it also goes at once when
    Kettle is invited (handlers/doctor)."""
    rt = runtime.current()
    sender = rt.sender
    sent = waiting.release(sender, sender_for=rt.sender_for if rt.workspaces else None)
    waiting.tell_whoever_can_mend(sender)
    return sent


@setup
def outbox_jobs(scheduler: BackgroundScheduler) -> None:
    scheduler.add_job(
        "bot.schedules.outbox:retry_waiting",
        trigger="interval",
        minutes=10,
        id="outbox:retry-waiting",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=300,
    )
    scheduler.add_job(
        "bot.schedules.outbox:sweep",
        trigger="interval",
        minutes=1,
        id="outbox:sweep",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=50,
    )
