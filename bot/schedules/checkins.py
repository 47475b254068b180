"""The check-in tick: every minute, ask what is due at `now` and send it through the ledger.

One tick job, not one job per member: it survives restarts, catches up whatever came due while
Kettle was down (a check-in until the end of the member's own day), and a second replica or a
repeated tick cannot double anything because every message has a ledger key.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from bot import fanout, runtime
from bot.builders import checkins as builders
from bot.db import unit_of_work
from bot.delivery import Outcome, Sender
from bot.models import utcnow
from bot.schedules import setup
from bot.services import checkins, membership
from bot.services.extra import extra_number

log = logging.getLogger(__name__)

TICK_JOB_ID = "checkins:tick"
DEFAULT_WORKERS = 4


@dataclass(frozen=True)
class Outbound:
    key: str
    channel: str
    text: str
    blocks: list[dict[str, Any]]
    due_at: datetime | None = None
    team_id: str | None = None  # the community's workspace, whose token sends it


@dataclass
class TickReport:
    planned: int = 0
    sent: int = 0
    failed: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def plan(session: Any, *, now: datetime, workspace_tz: str) -> list[Outbound]:
    """Everything due at `now`, for every community with check-ins on; nothing is sent here."""
    out: list[Outbound] = []
    several = len(membership.communities(session)) > 1
    for community in checkins.enabled_communities(session):
        # Where the install has several CoPs, each DM names its CoP and its buttons say which.
        cop = community if several else None
        start = len(out)
        for due in checkins.due_checkins(
            session, community=community, now=now, workspace_tz=workspace_tz
        ):
            text, blocks = builders.checkin_dm(due.name, due.week, community=cop)
            out.append(Outbound(due.key, due.user_id, text, blocks, due.due_at))
        for due in checkins.due_reminders(
            session, community=community, now=now, workspace_tz=workspace_tz
        ):
            text, blocks = builders.checkin_dm(due.name, due.week, reminder=True, community=cop)
            out.append(Outbound(due.key, due.user_id, text, blocks, due.due_at))
        for summary_due in checkins.due_summaries(
            session, community=community, now=now, workspace_tz=workspace_tz
        ):
            summary = checkins.summarise(session, community=community, week=summary_due.week)
            text, blocks = builders.summary_message(summary)
            if cop is not None:
                text, blocks = builders.naming_cop(text, blocks, cop)
            for user_id, key in summary_due.convenors:
                out.append(Outbound(key, user_id, text, blocks))
        out.extend(
            care_messages(
                session, community=community, now=now, workspace_tz=workspace_tz, named=several
            )
        )
        if community.team_id:  # sent with the community's workspace's token
            out[start:] = [replace(o, team_id=community.team_id) for o in out[start:]]
    return out


def care_messages(
    session: Any, *, community: Any, now: datetime, workspace_tz: str, named: bool = False
) -> list[Outbound]:
    """Care nudges for this week and last (the submission sends them at once; this catches any
    a crash interrupted). Each convenor gets their own, ledgered per member and week."""
    today = now.date()
    weeks = [checkins.week_of(today), checkins.week_of(today - timedelta(days=7))]
    convenor_ids = membership.convenor_ids(session, community.id)
    out = []
    for signal in checkins.care_signals(session, community=community, weeks=weeks):
        text, blocks = builders.care_message(signal)
        if named:  # several CoPs: the nudge says which CoP's member could use a hand
            text, blocks = builders.naming_cop(text, blocks, community)
        for user_id in convenor_ids:
            out.append(
                Outbound(
                    checkins.care_key(signal.member_id, signal.week, user_id), user_id, text, blocks
                )
            )
    sent = checkins.sent_keys(session, [o.key for o in out])
    return [o for o in out if o.key not in sent]


def send_all(
    sender: Sender, messages: list[Outbound], *, workers: int = DEFAULT_WORKERS
) -> TickReport:
    """Send through the ledger on a few threads (the limiter paces them); one failure is logged
    and left pending for the next tick, never lost."""
    report = TickReport(planned=len(messages))
    sender.reserve_many([(m.key, m.channel, m.due_at) for m in messages])

    size = fanout.batch_size(sender, workers)
    batches = [messages[i : i + size] for i in range(0, len(messages), size)]

    def one_batch(batch: list[Outbound]) -> list[Outcome | BaseException]:
        try:
            return fanout.deliver_batch(
                sender, [fanout.Message(m.key, m.channel, m.text, m.blocks) for m in batch]
            )
        except Exception as exc:  # the claim or the mark failed: all left for the next tick
            return [exc] * len(batch)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fanout") as pool:
        for batch, outcomes in zip(batches, pool.map(one_batch, batches), strict=True):
            for message, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    log.error(
                        "delivery %s failed; the next tick retries it",
                        message.key,
                        exc_info=outcome,
                    )
                    report.failed += 1
                elif outcome.sent:
                    report.sent += 1
                    kind = message.key.split(":", 1)[0]
                    report.kinds[kind] = report.kinds.get(kind, 0) + 1
    return report


def run_tick(rt: runtime.Runtime, *, now: datetime, workers: int | None = None) -> TickReport:
    with unit_of_work(rt.session_factory) as session:
        messages = plan(session, now=now, workspace_tz=rt.settings.workspace_tz)
    if workers is None:
        workers = extra_number(rt.settings.extra, "KETTLE_FANOUT_WORKERS")
        if workers is None:
            workers = DEFAULT_WORKERS
    report = TickReport()
    for team_id, batch in _by_team(messages).items():
        sender = rt.sender_for(team_id)
        if sender is None:
            continue  # not installed there (any more): said once in the log
        part = send_all(sender, batch, workers=workers)
        report.planned += part.planned
        report.sent += part.sent
        report.failed += part.failed
        for kind, count in part.kinds.items():
            report.kinds[kind] = report.kinds.get(kind, 0) + count
    if report.planned:
        log.info(
            "check-in tick: %d due, %d sent, %d failed %s",
            report.planned,
            report.sent,
            report.failed,
            report.kinds,
        )
    return report


def _by_team(messages: list[Outbound]) -> dict[str | None, list[Outbound]]:
    """Each workspace's messages, sent with its own token."""
    teams: dict[str | None, list[Outbound]] = {}
    for message in messages:
        teams.setdefault(message.team_id, []).append(message)
    return teams


def tick() -> None:
    """The scheduled entry point (stored by reference)."""
    run_tick(runtime.current(), now=utcnow())


@setup
def checkin_jobs(scheduler: BackgroundScheduler) -> None:
    scheduler.add_job(
        "bot.schedules.checkins:tick",
        trigger="interval",
        minutes=1,
        id=TICK_JOB_ID,
        replace_existing=True,
        next_run_time=utcnow(),  # catch up at once after a restart
        coalesce=True,
        max_instances=1,
        misfire_grace_time=50,
    )
