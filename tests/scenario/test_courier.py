"""Queued confirmations go at their pace from the courier's heap: each once, in order, none
lost when the process stops, and no pool thread asleep while they wait (bot/courier.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update

from bot.courier import Courier
from bot.delivery import Outcome, Sender, queue
from bot.models import Community, Delivery, DeliveryStatus, Story, utcnow
from bot.pacing import PostRateLimiter
from bot.schedules.outbox import sweep
from bot.services import membership
from tests.conftest import COP, MEMBER
from tests.harness import Kettle
from tests.scenario.test_stories import open_modal, story_values

PACE = 0.15  # seconds between posts to one DM, for the test (Slack's is 1 s)


@dataclass
class Paced:
    """A sender pacing one DM at PACE, and a courier handing due sends to a one-thread pool."""

    sender: Sender
    pool: ThreadPoolExecutor
    courier: Courier

    def send(self, keys: list[str]) -> list[Outcome | None]:
        return [self.courier.send_queued(self.sender, key, MEMBER) for key in keys]


@pytest.fixture
def paced(kettle: Kettle) -> Iterator[Paced]:
    limiter = PostRateLimiter(PACE, per_method={})
    pool = ThreadPoolExecutor(max_workers=1)
    courier = Courier(pool)
    yield Paced(Sender(kettle.client, kettle.session_factory, limiter=limiter), pool, courier)
    courier.close()
    pool.shutdown()


def queue_thanks(kettle: Kettle, n: int) -> list[str]:
    keys = [f"thanks-test:{i}" for i in range(n)]
    with kettle.db() as session:
        for i, key in enumerate(keys):
            queue(session, key, MEMBER, text=f"Thank you ({i})")
    return keys


def texts(kettle: Kettle) -> list[str]:
    return [m["text"] for m in kettle.fake.dm_messages(MEMBER)]


def wait_for(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError("not in time")


def test_messages_to_one_dm_go_once_each_in_order_at_its_pace(kettle: Kettle, paced: Paced) -> None:
    sender, pool, courier = paced.sender, paced.pool, paced.courier
    keys = queue_thanks(kettle, 5)
    began = time.monotonic()
    outcomes = paced.send(keys)
    first = outcomes[0]
    assert first is not None and first.sent  # its slot was now: sent in the caller's thread
    assert outcomes[1:] == [None] * 4 and courier.waiting() == 4
    # While four wait for their slots, the pool's one thread is free for other work.
    assert pool.submit(lambda: "free").result(timeout=PACE) == "free"
    wait_for(lambda: len(texts(kettle)) == 5)
    assert time.monotonic() - began >= 4 * PACE * 0.9  # the fifth came four paces after the first
    assert texts(kettle) == [f"Thank you ({i})" for i in range(5)]
    assert courier.waiting() == 0
    for key in keys:  # sent once more by someone else: not posted again
        again = sender.deliver_queued(key)
        assert again is not None and not again.sent
    with kettle.db() as session:
        rows = session.scalars(select(Delivery).where(Delivery.key.in_(keys))).all()
        assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.SENT, 1)}


def test_what_waits_when_the_process_stops_is_sent_by_the_outbox_once(
    kettle: Kettle, paced: Paced
) -> None:
    keys = queue_thanks(kettle, 3)
    paced.send(keys)
    paced.courier.close()  # the process stops with two waiting for their slots
    assert paced.courier.waiting() == 0
    time.sleep(PACE * 3)
    assert texts(kettle) == ["Thank you (0)"]
    with kettle.db() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.key.in_(keys))
            .values(created_at=utcnow() - timedelta(minutes=5))
        )
    assert sweep() == 2
    assert sweep() == 0
    assert texts(kettle) == ["Thank you (0)", "Thank you (1)", "Thank you (2)"]


def test_a_failed_send_at_its_slot_stays_pending_for_the_outbox(
    kettle: Kettle, paced: Paced
) -> None:
    keys = queue_thanks(kettle, 2)
    paced.send(keys[:1])
    kettle.fake.fail_next("chat.postMessage", status=503, times=20)
    done = threading.Event()
    paced.send(keys[1:])
    wait_for(lambda: paced.courier.waiting() == 0)
    paced.pool.submit(done.set)  # after the failed send's turn in the pool
    assert done.wait(10)
    kettle.fake.clear_faults("chat.postMessage")
    with kettle.db() as session:
        row = session.scalars(select(Delivery).where(Delivery.key == keys[1])).one()
        assert (row.status, row.claimed_by) == (DeliveryStatus.PENDING, None)
        assert row.last_error
    assert texts(kettle) == ["Thank you (0)"]


def test_a_thank_you_waiting_when_its_member_is_forgotten_is_never_sent(
    kettle: Kettle, paced: Paced
) -> None:
    keys = queue_thanks(kettle, 3)
    paced.send(keys)
    assert paced.courier.waiting() == 2
    with kettle.db() as session:  # forget-me, while two wait for their slots
        community = session.scalars(select(Community).where(Community.channel_id == COP)).one()
        membership.forget(session, community, MEMBER, keep_stories=False, now=utcnow())
    wait_for(lambda: paced.courier.waiting() == 0)
    paced.pool.shutdown(wait=True)  # the two sends at their slots have run
    assert texts(kettle) == ["Thank you (0)"]
    with kettle.db() as session:
        assert session.scalars(select(Delivery).where(Delivery.key.in_(keys))).all() == []


def test_story_thank_yous_in_a_burst_are_sent_at_their_pace_through_slack_events(
    kettle: Kettle, engine: Engine
) -> None:
    # Kettle as it serves, its sender pacing a DM at PACE: three stories from one member, each
    # form submitted as Slack signs it. Each is acked and stored at once; the thank-yous wait
    # in the courier, not in the after-ack pool, and each arrives once.
    paced_kettle = Kettle(
        kettle.settings,
        kettle.fake,
        kettle.session_factory,
        kettle.client,
        sender=Sender(
            kettle.client, kettle.session_factory, limiter=PostRateLimiter(PACE, per_method={})
        ),
    ).start(engine)
    try:
        titles = [f"Peer session {i}" for i in range(3)]
        for title in titles:
            view = open_modal(paced_kettle)
            reply = paced_kettle.submit(MEMBER, view, story_values(title=title))
            assert reply.status == 200 and not reply.text
        # Every submission's after-ack work has finished (submit settles the pool), yet the
        # later thank-yous are still to come: they wait for their slots outside the pool.
        assert len(thank_yous(paced_kettle)) < 3
        wait_for(lambda: len(thank_yous(paced_kettle)) == 3)
        time.sleep(PACE * 2)  # nothing more comes
        assert [t for t in titles if any(t in m for m in thank_yous(paced_kettle))] == titles
        assert len(thank_yous(paced_kettle)) == 3
        with paced_kettle.db() as session:
            stored = session.scalars(select(Story.title).where(Story.title.in_(titles))).all()
            assert sorted(stored) == titles
    finally:
        paced_kettle.stop()


def thank_yous(kettle: Kettle) -> list[str]:
    return [
        m["text"] for m in kettle.fake.dm_messages(MEMBER) if "Thank you for sharing" in m["text"]
    ]
