"""Messages queued with a change are sent once: after the request, or by the sweeper after a crash."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update

from bot.delivery import queue
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
