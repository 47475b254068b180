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
from bot.slack import make_client
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
    # Slack has the fifth; its send marks it on the ledger a moment later.
    wait_for(lambda: statuses(kettle, keys) == {(DeliveryStatus.SENT, 1)})
    assert len(texts(kettle)) == 5


def statuses(kettle: Kettle, keys: list[str]) -> set[tuple[DeliveryStatus, int]]:
    with kettle.db() as session:
        rows = session.scalars(select(Delivery).where(Delivery.key.in_(keys))).all()
        return {(r.status, r.attempts) for r in rows}


def test_after_a_429_what_waits_is_sent_after_slacks_wait_not_into_it(kettle: Kettle) -> None:
    # The client and the sender pace by one limiter, as `kettle serve` wires them; the pool has
    # threads to spare, so nothing but the wait itself keeps the later sends back.
    limiter = PostRateLimiter(PACE, per_method={})
    client = make_client(kettle.settings.bot_token, kettle.fake.api_url, limiter=limiter)
    sender = Sender(client, kettle.session_factory, limiter=limiter)
    pool = ThreadPoolExecutor(max_workers=4)
    courier = Courier(pool)
    try:
        keys = queue_thanks(kettle, 4)
        first = courier.send_queued(sender, keys[0], MEMBER)
        assert first is not None and first.sent
        # Slack refuses the second with Retry-After 1 s; the third and fourth come due in it.
        kettle.fake.fail_next("chat.postMessage", status=429, retry_after=1, times=1)
        began = time.time()
        assert [courier.send_queued(sender, key, MEMBER) for key in keys[1:]] == [None] * 3
        time.sleep(PACE * 3 + 0.2)  # past the third's and the fourth's first slots
        assert len(kettle.fake.calls_to("chat.postMessage")) == 2  # the first, and the refused
        assert courier.waiting() == 2 and limiter.held_until("chat.postMessage") >= began + 1
        # A pool thread is asleep in the wait (the refused one's retry), no more.
        assert pool.submit(lambda: "free").result(timeout=PACE) == "free"
        wait_for(lambda: len(texts(kettle)) == 4)
        assert texts(kettle) == [f"Thank you ({i})" for i in range(4)]  # once each, in order
        time.sleep(PACE * 2)
        assert len(kettle.fake.calls_to("chat.postMessage")) == 5
    finally:
        courier.close()
        pool.shutdown()


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


def test_story_thank_yous_wait_out_slacks_429_through_slack_events(
    kettle: Kettle, engine: Engine
) -> None:
    # Kettle as `kettle serve` wires it: its client and sender pace by one limiter. Three story
    # forms from one member, signed as Slack sends them; Slack refuses the second thank-you with
    # Retry-After 1 s. The third is not sent into that wait, and each arrives once.
    limiter = PostRateLimiter(PACE, per_method={})
    client = make_client(kettle.settings.bot_token, kettle.fake.api_url, limiter=limiter)
    paced_kettle = Kettle(
        kettle.settings,
        kettle.fake,
        kettle.session_factory,
        client,
        sender=Sender(client, kettle.session_factory, limiter=limiter),
    ).start(engine)
    try:
        titles = [f"Peer session {i}" for i in range(3)]
        view = open_modal(paced_kettle)
        assert paced_kettle.submit(MEMBER, view, story_values(title=titles[0])).status == 200
        wait_for(lambda: len(thank_yous(paced_kettle)) == 1)
        posts_before = len(paced_kettle.fake.calls_to("chat.postMessage"))
        paced_kettle.fake.fail_next("chat.postMessage", status=429, retry_after=1, times=1)
        began = time.time()
        for title in titles[1:]:
            view = open_modal(paced_kettle)
            reply = paced_kettle.submit(MEMBER, view, story_values(title=title))
            assert reply.status == 200 and not reply.text
        wait_for(lambda: limiter.held_until("chat.postMessage") > 0)
        time.sleep(max(0.0, began + 0.7 - time.time()))  # well inside the wait
        # The refused post only: the third's slot came inside the wait and was moved past it.
        assert len(paced_kettle.fake.calls_to("chat.postMessage")) == posts_before + 1
        wait_for(lambda: len(thank_yous(paced_kettle)) == 3)
        assert time.time() >= began + 1.0
        time.sleep(PACE * 2)
        assert [t for t in titles if any(t in m for m in thank_yous(paced_kettle))] == titles
        assert len(thank_yous(paced_kettle)) == 3
    finally:
        paced_kettle.stop()


def thank_yous(kettle: Kettle) -> list[str]:
    return [
        m["text"] for m in kettle.fake.dm_messages(MEMBER) if "Thank you for sharing" in m["text"]
    ]
