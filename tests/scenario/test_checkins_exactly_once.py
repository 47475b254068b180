"""Exactly one check-in DM per member per week, whatever happens: a tick fired twice, a crash
between the ledger and Slack, a process killed mid fan-out, two replicas, 429s and 5xx."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from sqlalchemy import Engine, select, text

from bot import fanout, runtime
from bot.config import Settings
from bot.db import make_engine
from bot.delivery import PostRateLimiter, Sender
from bot.models import Community, Delivery, DeliveryStatus
from bot.scheduler import SchedulerService
from bot.schedules.checkins import run_tick
from bot.services import membership
from bot.services.membership import SlackProfile
from tests.conftest import CONVENOR, MEMBER, MEMBER2
from tests.fakeslack import FakeSlack
from tests.harness import Kettle

MONDAY = datetime(2026, 3, 30, 18, 0, tzinfo=UTC)  # Monday everywhere the fixture's members live
ROOT = Path(__file__).resolve().parents[2]


def key_counts(fake: FakeSlack, users: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for user in users:
        for m in fake.dm_messages(user):
            key = ((m.get("metadata") or {}).get("event_payload") or {}).get("key", "")
            if key.startswith("checkin:"):
                counts[user] += 1
    return counts


def fast_retry_client(fake: FakeSlack, retries: int = 2) -> WebClient:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    quick = FixedValueRetryIntervalCalculator(0.01)
    client.retry_handlers = [
        RateLimitErrorRetryHandler(max_retry_count=retries),
        ServerErrorRetryHandler(max_retry_count=retries, interval_calculator=quick),
    ]
    return client


USERS = [CONVENOR, MEMBER, MEMBER2]


def test_a_tick_fired_twice_and_concurrently_sends_once(kettle: Kettle) -> None:
    rt = runtime.current()
    threads = [
        threading.Thread(target=run_tick, args=(rt,), kwargs={"now": MONDAY}) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run_tick(rt, now=MONDAY + timedelta(minutes=1))
    assert key_counts(kettle.fake, USERS) == {u: 1 for u in USERS}


class LosingSender(Sender):
    """Posts, then 'crashes' before the ledger records the send."""

    def _finish(
        self,
        key: str,
        *,
        ts: str | None,
        error: str | None = None,
        dm: tuple[str, str] | None = None,
    ) -> None:
        if ts is None:
            super()._finish(key, ts=ts, error=error, dm=dm)


def test_a_send_whose_ledger_write_was_lost_is_found_in_the_dm_not_resent(kettle: Kettle) -> None:
    rt = runtime.current()
    lost = LosingSender(rt.client, rt.session_factory, limiter=PostRateLimiter(0), worker_id="a")
    outcome = lost.deliver("checkin:1:2026-W14", MEMBER, text="hello")
    assert outcome.sent
    with kettle.db() as session:
        row = session.scalars(select(Delivery)).one()
        assert row.status == DeliveryStatus.PENDING and row.claimed_by == "a"
    # Within the lease, another worker leaves it alone.
    patient = Sender(rt.client, rt.session_factory, limiter=PostRateLimiter(0), worker_id="b")
    assert not patient.deliver("checkin:1:2026-W14", MEMBER, text="hello").sent
    # After it, the next worker looks in the DM's history, finds the key and does not resend.
    kettle.fake.reset_calls()
    recovering = Sender(
        rt.client, rt.session_factory, limiter=PostRateLimiter(0), claim_lease=timedelta(0)
    )
    again = recovering.deliver("checkin:1:2026-W14", MEMBER, text="hello")
    assert not again.sent and again.status == DeliveryStatus.SENT and again.ts == outcome.ts
    assert kettle.fake.calls_to("chat.postMessage") == []
    assert len(kettle.fake.dm_messages(MEMBER)) == 1
    with kettle.db() as session:
        row = session.scalars(select(Delivery)).one()
        assert row.status == DeliveryStatus.SENT and row.message_ts == outcome.ts


def test_a_batch_leaves_a_row_another_worker_holds_and_recovers_a_lost_mark(
    kettle: Kettle,
) -> None:
    rt = runtime.current()
    keys = [f"checkin:{i}:2026-W14" for i in (1, 2, 3)]
    batch = [fanout.Message(k, u, "hello") for k, u in zip(keys, USERS, strict=True)]
    holder = Sender(rt.client, rt.session_factory, limiter=PostRateLimiter(0), worker_id="a")
    holder.reserve_many([(m.key, m.channel, None) for m in batch])
    holder._claim(keys[1])  # worker a is sending this one
    other = Sender(rt.client, rt.session_factory, limiter=PostRateLimiter(0), worker_id="b")
    first = fanout.deliver_batch(other, batch)
    assert [isinstance(o, fanout.Outcome) and o.sent for o in first] == [True, False, True]
    with kettle.db() as session:
        rows = {d.key: d for d in session.scalars(select(Delivery))}
        assert rows[keys[1]].claimed_by == "a"
        assert all(rows[k].status == DeliveryStatus.SENT for k in (keys[0], keys[2]))
    # A crash between a post and the batch's mark: the row is left pending, claimed. After the
    # lease the next batch finds the key in the DM's history and marks it, without a resend.
    with kettle.db() as session:
        row = session.scalars(select(Delivery).where(Delivery.key == keys[0])).one()
        row.status, row.message_ts, row.claimed_by = DeliveryStatus.PENDING, None, "b"
    kettle.fake.reset_calls()
    recovering = Sender(
        rt.client, rt.session_factory, limiter=PostRateLimiter(0), claim_lease=timedelta(0)
    )
    again = fanout.deliver_batch(recovering, batch[:1])
    assert isinstance(again[0], fanout.Outcome) and not again[0].sent
    assert again[0].status == DeliveryStatus.SENT
    assert kettle.fake.calls_to("chat.postMessage") == []
    assert len(kettle.fake.dm_messages(USERS[0])) == 1


def test_a_claim_that_died_before_sending_is_sent_after_the_lease(kettle: Kettle) -> None:
    rt = runtime.current()
    kettle.fake.drop_next("chat.postMessage", times=10)  # the connection dies every time
    dying = Sender(
        fast_retry_client(kettle.fake, 0), rt.session_factory, limiter=PostRateLimiter(0)
    )
    with pytest.raises(Exception):  # noqa: B017
        dying.deliver("checkin:2:2026-W14", MEMBER2, text="hello")
    kettle.fake._faults.clear()
    later = Sender(
        rt.client, rt.session_factory, limiter=PostRateLimiter(0), claim_lease=timedelta(0)
    )
    assert later.deliver("checkin:2:2026-W14", MEMBER2, text="hello").sent
    assert len(kettle.fake.dm_messages(MEMBER2)) == 1


def test_429_and_5xx_delay_a_dm_never_lose_it(kettle: Kettle) -> None:
    rt = runtime.current()
    sender = Sender(fast_retry_client(kettle.fake), rt.session_factory, limiter=PostRateLimiter(0))
    rt_fast = runtime.Runtime(rt.settings, rt.engine, rt.session_factory, sender.client, sender)
    kettle.fake.fail_next("chat.postMessage", status=429, retry_after=1)
    kettle.fake.fail_next("chat.postMessage", status=503, times=5)  # outlasts the retries
    first = run_tick(rt_fast, now=MONDAY, workers=1)
    assert first.failed >= 1 and first.sent + first.failed == 3
    second = run_tick(rt_fast, now=MONDAY + timedelta(minutes=1), workers=1)
    assert second.failed == 0
    assert key_counts(kettle.fake, USERS) == {u: 1 for u in USERS}
    assert kettle.fake.ratelimited_count >= 1


# -- separate processes ------------------------------------------------------------------------


def seed_many(session_factory: Any, fake: FakeSlack, settings: Settings, n: int) -> list[str]:
    from bot.db import unit_of_work

    users = [f"UFAN{i:04d}" for i in range(n)]
    with unit_of_work(session_factory) as session:
        community = membership.ensure_community(session, settings)
        for i, user in enumerate(users):
            tz = ["Europe/London", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"][i % 4]
            fake.add_user(user, f"Member {i}", tz=tz)
            membership.admit(session, community, SlackProfile(user, f"Member {i}", tz))
    return users


def worker(
    db_url: str, fake: FakeSlack, now: datetime, rate: float, lease: float
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.scenario.checkin_worker",
            db_url,
            fake.api_url,
            now.isoformat(),
            str(rate),
            str(lease),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def wait_for(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.02)


# Thursday 10:00 UTC is Thursday, after 00:30, in all four zones.
THURSDAY = datetime(2026, 4, 2, 10, 0, tzinfo=UTC)


def thursday_schedule(session_factory: Any) -> None:
    from bot.db import unit_of_work
    from bot.services import checkins

    with unit_of_work(session_factory) as session:
        community = session.scalars(select(Community)).one()
        checkins.save_schedule(session, community, checkins.Schedule(weekday=3, at=dt_time(0, 30)))


def test_kill_9_mid_fan_out_then_restart_sends_everyone_exactly_one(
    fake: FakeSlack, settings: Settings, session_factory: Any, db_url: str
) -> None:
    users = seed_many(session_factory, fake, settings, 40)
    thursday_schedule(session_factory)
    first = worker(db_url, fake, THURSDAY, rate=25, lease=120)
    wait_for(lambda: len(fake.calls_to("chat.postMessage")) >= 12)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    before = sum(key_counts(fake, users).values())
    assert 0 < before < len(users)
    # The restarted process takes over claims the dead one left (lease 0: it is gone for sure).
    second = worker(db_url, fake, THURSDAY + timedelta(minutes=1), rate=0, lease=0)
    _out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert key_counts(fake, users) == {u: 1 for u in users}


def test_two_replicas_ticking_at_once_send_exactly_one_each(
    fake: FakeSlack, settings: Settings, session_factory: Any, db_url: str, engine: Engine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several replicas run only on PostgreSQL")
    users = seed_many(session_factory, fake, settings, 60)
    thursday_schedule(session_factory)
    replicas = [worker(db_url, fake, THURSDAY, rate=200, lease=120) for _ in range(2)]
    outputs = [r.communicate(timeout=120) for r in replicas]
    assert all(r.returncode == 0 for r in replicas), outputs
    assert key_counts(fake, users) == {u: 1 for u in users}
    sent = [int(out.split("sent=")[1].split()[0]) for out, _ in outputs]
    assert sum(sent) == len(users)


def test_scheduler_lease_passes_to_another_replica_when_the_holder_dies(
    db_url: str, engine: Engine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the lease is a PostgreSQL advisory lock; SQLite runs one process")
    first_engine, second_engine = make_engine(db_url), make_engine(db_url)
    first = SchedulerService(first_engine, [], poll_seconds=3600)
    second = SchedulerService(second_engine, [], poll_seconds=3600)
    try:
        first._tick()
        second._tick()
        assert first.running and not second.running
        second._tick()
        assert not second.running
        # The holder's connection dies (as when its process or host goes away).
        pid = first.lease._conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
        first._tick()
        assert not first.running
        second._tick()
        assert second.running
        first._tick()
        assert not first.running
    finally:
        first.stop()
        second.stop()
        first_engine.dispose()
        second_engine.dispose()
