"""Exactly once in a thread: a send that reached Slack but died before the ledger heard of it is
found in its thread (threads are not in a channel's history) and never posted again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot import runtime
from bot.delivery import METADATA_EVENT, PostRateLimiter, Sender
from bot.models import Delivery, DeliveryStatus, Round, utcnow
from bot.schedules import rounds as schedule
from bot.services import rounds as svc
from tests.conftest import COP
from tests.harness import Kettle
from tests.scenario.test_rounds_ai import posted, start_ai, thread


class Killed(BaseException):
    """The process dies: nothing after this point runs."""


class DiesAfterPosting(Sender):
    """Posts to Slack, then dies before the ledger records the send."""

    def _finish(
        self,
        key: str,
        *,
        ts: str | None,
        error: str | None = None,
        dm: tuple[str, str] | None = None,
    ) -> None:
        if ts is not None:
            raise Killed(key)
        super()._finish(key, ts=ts, error=error, dm=dm)


def senders(kettle: Kettle) -> tuple[Sender, Sender]:
    """The worker that dies, and the one that takes its claims over after it is gone."""
    rt = runtime.current()
    dying = DiesAfterPosting(rt.client, rt.session_factory, limiter=PostRateLimiter(0))
    restarted = Sender(
        rt.client, rt.session_factory, limiter=PostRateLimiter(0), claim_lease=timedelta(0)
    )
    return dying, restarted


def keyed(messages: list[dict[str, Any]], key: str) -> int:
    return sum(
        1
        for m in messages
        if (m.get("metadata") or {}).get("event_type") == METADATA_EVENT
        and m["metadata"]["event_payload"].get("key") == key
    )


def test_a_round_phase_posted_before_a_crash_is_not_posted_again(kettle: Kettle) -> None:
    round_ = start_ai(kettle)
    dying, restarted = senders(kettle)
    with kettle.db() as session:
        svc.advance(session, session.get_one(Round, round_.id), now=utcnow(), expected_phase=0)
    with pytest.raises(Killed):
        schedule.publish(dying, runtime.current().session_factory, round_.id)
    assert posted(thread(kettle, round_.id), "*Dream*") == 1
    # Busy channels push the round's opening far down; the thread is where the post is.
    for i in range(5):
        kettle.fake.add_message(COP, "UMEM1", f"chatter {i}")
    schedule.publish(restarted, runtime.current().session_factory, round_.id)
    schedule.tick(utcnow())
    assert posted(thread(kettle, round_.id), "*Dream*") == 1
    with kettle.db() as session:
        row = session.query(Delivery).filter_by(key=f"round:{round_.id}:phase:1").one()
        assert row.status == DeliveryStatus.SENT and row.message_ts is not None


def test_a_tea_break_posted_before_a_crash_is_not_posted_again(kettle: Kettle) -> None:
    round_ = start_ai(kettle)
    dying, restarted = senders(kettle)
    later = utcnow() + timedelta(hours=3)
    key = f"round:{round_.id}:tea"
    factory = runtime.current().session_factory
    with pytest.raises(Killed):
        schedule.tea_breaks(dying, factory, later)
    assert keyed(thread(kettle, round_.id), key) == 1
    schedule.tea_breaks(restarted, factory, later)
    assert keyed(thread(kettle, round_.id), key) == 1


def test_a_reply_deep_in_a_long_thread_is_found_through_the_pages(kettle: Kettle) -> None:
    dying, restarted = senders(kettle)
    parent = kettle.fake.add_message(COP, "UMEM1", "a long conversation")["ts"]
    for i in range(6):
        kettle.fake.add_message(COP, "UMEM2", f"reply {i}", thread_ts=parent)
    kettle.fake.max_page = 2  # Slack may answer with fewer messages than asked for
    with pytest.raises(Killed):
        dying.deliver("meeting:7:tea:2026-04-02", COP, text="Tea?", thread_ts=parent)
    kettle.fake.reset_calls()
    outcome = restarted.deliver("meeting:7:tea:2026-04-02", COP, text="Tea?", thread_ts=parent)
    assert not outcome.sent and outcome.status == DeliveryStatus.SENT
    assert kettle.fake.calls_to("chat.postMessage") == []
    assert len(kettle.fake.calls_to("conversations.replies")) == 4  # 7 replies, 2 a page
    assert keyed(kettle.fake.messages(COP), "meeting:7:tea:2026-04-02") == 1
