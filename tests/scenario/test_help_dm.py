"""Writing to Kettle in its Messages tab gets a friendly answer, once a day, not a silence."""

from __future__ import annotations

from tests.conftest import MEMBER, OUTSIDER
from tests.harness import Kettle


def dm(kettle: Kettle, user: str, text: str) -> None:
    channel = kettle.fake.dm_channel_for(user)
    kettle.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": "1700000001.000100",
        }
    )


def test_member_gets_what_kettle_can_do_once_a_day(kettle: Kettle) -> None:
    dm(kettle, MEMBER, "hello?")
    dm(kettle, MEMBER, "anyone there?")
    replies = kettle.fake.dm_messages(MEMBER)
    assert len(replies) == 1
    assert "/story" in replies[0]["text"] and "/checkin" in replies[0]["text"]


def test_outsider_hears_how_to_apply(kettle: Kettle) -> None:
    dm(kettle, OUTSIDER, "what is this?")
    replies = kettle.fake.dm_messages(OUTSIDER)
    assert len(replies) == 1 and "/cop join" in replies[0]["text"]


def test_bot_messages_and_threads_are_ignored(kettle: Kettle) -> None:
    channel = kettle.fake.dm_channel_for(MEMBER)
    kettle.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "bot_id": "BBOT",
            "text": "echo",
            "ts": "1700000001.000200",
        }
    )
    kettle.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "user": MEMBER,
            "text": "in a thread",
            "thread_ts": "1700000000.000100",
            "ts": "1700000001.000300",
        }
    )
    assert kettle.fake.dm_messages(MEMBER) == []
