"""The Web API client (bot/slack.py) keeps its connections open between calls, and slack_sdk's
retry handlers still see what they saw over urllib: a 429 with its Retry-After, a 5xx, a drop."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import KeptAliveWebClient, leveled, make_client
from tests.conftest import BOT_TOKEN, MEMBER
from tests.fakeslack import FakeSlack, server


def test_calls_share_one_connection_where_urllib_opened_one_each(fake: FakeSlack) -> None:
    client = make_client(BOT_TOKEN, fake.api_url)
    assert isinstance(client, KeptAliveWebClient)
    before = fake.connections_accepted
    for _ in range(5):
        assert client.auth_test()["ok"]
    assert fake.connections_accepted - before == 1

    plain = WebClient(token=BOT_TOKEN, base_url=fake.api_url)
    before = fake.connections_accepted
    for _ in range(5):
        plain.auth_test()
    assert fake.connections_accepted - before == 5


def test_threads_calling_at_once_each_get_an_answer_of_their_own(fake: FakeSlack) -> None:
    client = make_client(BOT_TOKEN, fake.api_url)
    names: list[str] = []
    lock = threading.Lock()

    def look() -> None:
        for _ in range(10):
            user = client.users_info(user=MEMBER)["user"]
            with lock:
                names.append(user["id"])

    threads = [threading.Thread(target=look) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert names == [MEMBER] * 80
    assert fake.connections_accepted <= 8 + 1


def test_a_429_is_retried_after_its_retry_after(fake: FakeSlack) -> None:
    client = make_client(BOT_TOKEN, fake.api_url)
    fake.fail_next("auth.test", status=429, retry_after=0, times=2)
    assert client.auth_test()["ok"]
    assert len([m for m, _ in fake.calls if m == "auth.test"]) >= 1


def test_a_5xx_and_a_dropped_connection_are_retried(fake: FakeSlack) -> None:
    client = make_client(BOT_TOKEN, fake.api_url)
    fake.fail_next("auth.test", status=503, times=1)
    assert client.auth_test()["ok"]
    fake.drop_next("auth.test", times=1)
    assert client.auth_test()["ok"]


def test_an_error_answer_is_a_slack_api_error_with_slacks_words(fake: FakeSlack) -> None:
    client = make_client(BOT_TOKEN, fake.api_url)
    with pytest.raises(SlackApiError) as caught:
        client.users_info(user="UNOBODY")
    assert caught.value.response["error"] == "user_not_found"


def test_a_connection_slack_closed_while_idle_costs_a_new_one_not_an_error(
    fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server._Handler, "timeout", 0.2)  # Slack's edge closes idle links
    client = make_client(BOT_TOKEN, fake.api_url)
    before = fake.connections_accepted
    assert client.auth_test()["ok"]
    time.sleep(0.6)
    assert client.auth_test()["ok"]
    assert fake.connections_accepted - before == 2


class _Counted(str):
    """Text that counts how often a debug line is built from it (its repr)."""

    built = 0

    def __repr__(self) -> str:
        _Counted.built += 1
        return str.__repr__(self)


def test_no_call_builds_a_debug_line_that_no_handler_prints(fake: FakeSlack) -> None:
    """slack_sdk builds a call's debug line (its whole body) when its logger has no level of its
    own; Kettle's clients have one, so a call at INFO builds none, and DEBUG still shows them."""
    _Counted.built = 0
    WebClient(token=BOT_TOKEN, base_url=fake.api_url).api_call(
        "chat.postMessage", json={"channel": MEMBER, "text": _Counted("hi")}
    )
    assert _Counted.built > 0  # slack_sdk's own logger: built, then dropped

    client = make_client(BOT_TOKEN, fake.api_url)
    logger = logging.getLogger("kettle.slack_api")
    level = logger.level
    try:
        logger.setLevel(logging.INFO)  # as KETTLE_LOG_LEVEL's default leaves it
        _Counted.built = 0
        client.api_call("chat.postMessage", json={"channel": MEMBER, "text": _Counted("hi")})
        assert _Counted.built == 0
        logger.setLevel(logging.DEBUG)
        client.api_call("chat.postMessage", json={"channel": MEMBER, "text": _Counted("hi")})
        assert _Counted.built > 0
    finally:
        logger.setLevel(level)


def test_a_logger_takes_the_level_in_effect_when_it_is_made() -> None:
    parent = logging.getLogger("kettle.test_leveled")
    parent.setLevel(logging.DEBUG)
    try:
        assert leveled("kettle.test_leveled.child").level == logging.DEBUG
    finally:
        parent.setLevel(logging.NOTSET)
    assert leveled("kettle.test_leveled.other").level == logging.getLogger().getEffectiveLevel()
