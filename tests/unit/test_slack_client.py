"""The Web API client (bot/slack.py) keeps its connections open between calls, and slack_sdk's
retry handlers still see what they saw over urllib: a 429 with its Retry-After, a 5xx, a drop."""

from __future__ import annotations

import threading
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import KeptAliveWebClient, make_client
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
