"""Web API calls made by the call worker (bot/call_worker.py): the same answers, errors, retries
and shared pacing as a call made in the serving process, and calls go on if the worker ends."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, select

from bot.call_worker import CallWorker
from bot.db import SessionFactory
from bot.models import ApiPace
from bot.pacing import PostRateLimiter, SharedSlots
from bot.slack import make_client
from tests.conftest import BOT_TOKEN, COP, MEMBER
from tests.fakeslack import FakeSlack


@pytest.fixture
def worker(fake: FakeSlack, db_url: str, engine: Engine) -> Iterator[CallWorker]:
    started = CallWorker(fake.api_url, db_url)
    started.start()
    yield started
    started.stop()


def _calls(fake: FakeSlack, method: str) -> list[dict[str, Any]]:
    return [params for m, params in fake.calls if m == method]


def test_a_call_through_the_worker_gets_the_answer_it_would_get_here(
    fake: FakeSlack, worker: CallWorker
) -> None:
    here = make_client(BOT_TOKEN, fake.api_url)
    there = make_client(BOT_TOKEN, fake.api_url, worker=worker)
    assert there.auth_test().data == here.auth_test().data
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Story"}, "blocks": []}
    opened = there.views_open(trigger_id=fake.issue_trigger_id(), view=view)
    assert opened.status_code == 200 and opened["view"]["type"] == "modal"
    assert opened.headers["Content-Type"].startswith("application/json")
    posted = there.chat_postMessage(channel=MEMBER, text="hello")
    assert posted["channel"].startswith("D") and posted["message"]["text"] == "hello"
    assert worker.calls == 3
    assert _calls(fake, "chat.postMessage")[-1]["text"] == "hello"


def test_slacks_error_is_raised_where_the_call_was_made_with_slacks_words(
    fake: FakeSlack, worker: CallWorker
) -> None:
    client = make_client(BOT_TOKEN, fake.api_url, worker=worker)
    with pytest.raises(SlackApiError) as caught:
        client.users_info(user="UNOBODY")
    assert caught.value.response["error"] == "user_not_found"
    assert worker.calls == 1


def test_a_429_waits_its_retry_after_and_holds_the_method_for_every_sender(
    fake: FakeSlack, worker: CallWorker, session_factory: SessionFactory
) -> None:
    factory = session_factory
    limiter = PostRateLimiter(slots=SharedSlots(factory))
    client = make_client(BOT_TOKEN, fake.api_url, limiter=limiter, worker=worker)
    fake.fail_next("chat.postMessage", status=429, retry_after=1, times=1)
    began = time.time()
    assert client.chat_postMessage(channel=COP, text="paced")["ok"]
    assert time.time() - began >= 1.0
    with factory() as session:
        held = session.scalar(
            select(ApiPace.next_at).where(
                ApiPace.team_id == "", ApiPace.method == "chat.postMessage"
            )
        )
    assert held is not None and held >= began + 1.0  # the serving process waits it out too
    assert worker.calls == 1


def test_the_serving_process_hears_of_a_429_while_the_worker_waits_it_out(
    fake: FakeSlack, worker: CallWorker, session_factory: SessionFactory
) -> None:
    # As `kettle serve` wires them: the worker's holds noted in the serving process's pacing.
    here = PostRateLimiter(slots=SharedSlots(session_factory))
    worker.on_hold = here.pacer.note_held
    client = make_client(BOT_TOKEN, fake.api_url, limiter=here, worker=worker)
    fake.fail_next("chat.postMessage", status=429, retry_after=3, times=1)
    began = time.time()
    answered: list[bool] = []
    call = threading.Thread(
        target=lambda: answered.append(client.chat_postMessage(channel=MEMBER, text="x")["ok"])
    )
    call.start()
    deadline = time.monotonic() + 10  # the worker's first call: the process may still be starting
    while here.held_until("chat.postMessage") == 0.0 and time.monotonic() < deadline:
        time.sleep(0.01)
    # Told while the worker still waits, not once the call is answered.
    assert call.is_alive()
    assert began + 3.0 <= here.held_until("chat.postMessage") <= time.time() + 3.0
    # Nothing this process queues now is given a slot inside the wait.
    assert here.reserve(MEMBER) >= here.held_until("chat.postMessage")
    call.join(10)
    assert answered == [True]


def test_a_call_the_worker_cannot_carry_is_made_here(fake: FakeSlack, worker: CallWorker) -> None:
    client = make_client(BOT_TOKEN, fake.api_url, worker=worker)
    local = [lambda: None]  # nothing another process could be handed
    with pytest.raises(TypeError):  # slack_sdk cannot send it either: its own error, raised here
        client.api_call("chat.postMessage", json={"channel": MEMBER, "text": local})
    assert worker.calls == 0


def test_calls_go_on_in_this_process_once_the_worker_has_ended(
    fake: FakeSlack, worker: CallWorker
) -> None:
    client = make_client(BOT_TOKEN, fake.api_url, worker=worker)
    assert client.auth_test()["ok"] and worker.calls == 1
    assert worker._proc is not None
    worker._proc.send_signal(signal.SIGKILL)
    worker._proc.wait(timeout=10)
    assert not worker.running
    assert client.chat_postMessage(channel=MEMBER, text="still here")["ok"]
    assert worker.calls == 1
    assert _calls(fake, "chat.postMessage")[-1]["text"] == "still here"
