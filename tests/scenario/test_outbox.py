"""Messages queued with a change are sent once: after the request, or by the sweeper after a crash."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, event, select, update

from bot.delivery import CLAIM_LEASE, queue
from bot.models import Delivery, DeliveryStatus, utcnow
from bot.schedules.outbox import sweep
from tests.conftest import COP
from tests.harness import Kettle


def age(kettle: Kettle, key: str, seconds: int) -> None:
    with kettle.db() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.key == key)
            .values(created_at=utcnow() - timedelta(seconds=seconds))
        )


def test_queued_message_is_sent_once(kettle: Kettle) -> None:
    with kettle.db() as session:
        queue(session, "note:1", COP, text="The kettle is on")
        queue(session, "note:1", COP, text="The kettle is on")  # a repeat queues nothing more
    first = kettle.sender.deliver_queued("note:1")
    again = kettle.sender.deliver_queued("note:1")
    assert first is not None and first.sent
    assert again is not None and not again.sent
    assert [m["text"] for m in kettle.fake.messages(COP)] == ["The kettle is on"]


def test_nothing_is_queued_when_the_change_rolls_back(kettle: Kettle) -> None:
    with pytest.raises(RuntimeError), kettle.db() as session:
        queue(session, "note:2", COP, text="never")
        raise RuntimeError("the change failed")
    assert kettle.sender.deliver_queued("note:2") is None
    assert kettle.fake.messages(COP) == []


def test_sweeper_finishes_a_send_lost_to_a_crash(kettle: Kettle) -> None:
    with kettle.db() as session:
        queue(session, "note:3", COP, text="Biscuits in the kitchen", thread_ts=None)
    assert sweep() == 0  # too fresh: the request's own send gets a head start
    age(kettle, "note:3", 120)
    assert sweep() == 1
    assert sweep() == 0
    assert len(kettle.fake.messages(COP)) == 1


def test_slack_outage_delays_but_never_loses(kettle: Kettle) -> None:
    with kettle.db() as session:
        queue(session, "note:4", COP, text="Tea at four")
    kettle.fake.fail_next("chat.postMessage", status=503, times=20)
    with pytest.raises(SlackApiError):
        kettle.sender.deliver_queued("note:4")
    with kettle.db() as session:
        row = session.scalars(select(Delivery).where(Delivery.key == "note:4")).one()
        assert row.status == DeliveryStatus.PENDING
    kettle.fake.clear_faults("chat.postMessage")
    age(kettle, "note:4", 120)
    assert sweep() == 1
    assert [m["text"] for m in kettle.fake.messages(COP)] == ["Tea at four"]


def test_stale_queued_messages_are_left_alone(kettle: Kettle) -> None:
    with kettle.db() as session:
        queue(session, "note:5", COP, text="Yesterday's news")
    age(kettle, "note:5", 2 * 24 * 3600)
    assert sweep() == 0
    assert kettle.fake.messages(COP) == []


def test_a_reserved_message_that_was_not_queued_is_left_for_its_own_sender(
    kettle: Kettle,
) -> None:
    kettle.sender.reserve("note:6", COP)  # a ledger row with no payload: deliver() sends it
    assert kettle.sender.deliver_queued("note:6") is None
    with kettle.db() as session:
        row = session.scalars(select(Delivery).where(Delivery.key == "note:6")).one()
        assert (row.status, row.attempts, row.claimed_by) == (DeliveryStatus.PENDING, 0, None)
    assert kettle.fake.messages(COP) == []


def test_a_queued_message_another_worker_holds_is_not_sent_twice(kettle: Kettle) -> None:
    with kettle.db() as session:
        queue(session, "note:7", COP, text="Scones at three")
    with kettle.db() as session:  # another worker claimed it, then was lost mid-send
        session.execute(
            update(Delivery)
            .where(Delivery.key == "note:7")
            .values(claimed_by="b", claimed_at=utcnow(), attempts=1)
        )
    held = kettle.sender.deliver_queued("note:7")
    assert held is not None and not held.sent and held.status == DeliveryStatus.PENDING
    assert kettle.fake.messages(COP) == []
    with kettle.db() as session:  # b's lease runs out
        session.execute(
            update(Delivery)
            .where(Delivery.key == "note:7")
            .values(claimed_at=utcnow() - CLAIM_LEASE - timedelta(seconds=1))
        )
    sent = kettle.sender.deliver_queued("note:7")
    assert sent is not None and sent.sent
    assert kettle.sender.deliver_queued("note:7").sent is False  # type: ignore[union-attr]
    assert [m["text"] for m in kettle.fake.messages(COP)] == ["Scones at three"]
    with kettle.db() as session:
        row = session.scalars(select(Delivery).where(Delivery.key == "note:7")).one()
        assert (row.status, row.attempts, row.claimed_by) == (DeliveryStatus.SENT, 2, None)
        assert row.message_ts == sent.ts


def test_a_queued_message_is_claimed_and_marked_in_two_statements(
    kettle: Kettle, engine: Engine
) -> None:
    with kettle.db() as session:
        queue(session, "note:8", COP, text="Tea in the garden")
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()[:2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        outcome = kettle.sender.deliver_queued("note:8")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert outcome is not None and outcome.sent
    assert seen == ["UPDATE deliveries", "UPDATE deliveries"]  # claimed and read; marked sent
