"""Acks first (bot/acks.py): an ack goes the moment the listener gives it, with the answer Bolt
would give; work after acks waits while a request still waits for its own, never for ever."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot.acks import AcksFirst, AfterAcks, PromptListenerRunner, give_prompt_acks
from tests.conftest import BOT_TOKEN, MEMBER, SIGNING_SECRET
from tests.fakeslack import FakeSlack, SlackSigner


def _app(fake: FakeSlack) -> tuple[App, list[str]]:
    app = App(
        signing_secret=SIGNING_SECRET,
        client=WebClient(token=BOT_TOKEN, base_url=fake.api_url),
        token_verification_enabled=False,
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=4),
    )
    give_prompt_acks(app)
    errors: list[str] = []

    @app.error
    def _error(error: Exception) -> None:
        errors.append(str(error))

    @app.command("/quick")
    def _quick(ack: Any) -> None:
        ack(text="quick")

    @app.command("/slow")
    def _slow(ack: Any) -> None:
        time.sleep(0.3)
        ack(text="slow")
        time.sleep(1.0)  # work after the ack is not waited for

    @app.command("/broken")
    def _broken(ack: Any) -> None:
        raise RuntimeError("broken before its ack")

    @app.command("/silent")
    def _silent(ack: Any) -> None:
        return None

    return app, errors


def _command(name: str) -> BoltRequest:
    return SlackSigner(SIGNING_SECRET).slash_command(name, "", MEMBER).as_bolt_request()


def test_the_runner_is_replaced_and_the_ack_is_answered_with_its_words(fake: FakeSlack) -> None:
    app, _ = _app(fake)
    assert isinstance(app._listener_runner, PromptListenerRunner)
    response = app.dispatch(_command("/quick"))
    assert response.status == 200
    assert "quick" in response.body


def test_the_answer_comes_at_the_ack_not_when_the_listener_ends(fake: FakeSlack) -> None:
    app, _ = _app(fake)
    began = time.monotonic()
    response = app.dispatch(_command("/slow"))
    took = time.monotonic() - began
    assert "slow" in response.body
    assert 0.3 <= took < 1.0


def test_a_listener_failing_before_its_ack_answers_500_and_reaches_the_error_handler(
    fake: FakeSlack,
) -> None:
    app, errors = _app(fake)
    response = app.dispatch(_command("/broken"))
    assert response.status == 500
    assert errors == ["broken before its ack"]


def test_a_listener_that_never_acks_is_not_waited_for_until_the_timeout(fake: FakeSlack) -> None:
    app, _ = _app(fake)
    began = time.monotonic()
    response = app.dispatch(_command("/silent"))
    assert time.monotonic() - began < 1.0  # Bolt would poll for its full 3 s
    assert response.status == 404  # as Bolt answers a listener that never acked


def test_work_after_acks_waits_while_a_request_is_answered_and_then_runs() -> None:
    gate = AcksFirst(max_wait=5.0)
    pool = AfterAcks(ThreadPoolExecutor(max_workers=1), gate)
    ran = threading.Event()
    with gate.answering():
        future = pool.submit(ran.set)
        assert not ran.wait(0.3)
    future.result(timeout=2)
    assert ran.is_set()


def test_work_after_acks_never_waits_longer_than_max_wait() -> None:
    gate = AcksFirst(max_wait=0.2)
    pool = AfterAcks(ThreadPoolExecutor(max_workers=1), gate)
    with gate.answering():
        began = time.monotonic()
        assert pool.submit(lambda: 7).result(timeout=2) == 7
        assert 0.15 <= time.monotonic() - began < 1.5


def test_with_no_request_being_answered_work_runs_at_once() -> None:
    gate = AcksFirst(max_wait=5.0)
    pool = AfterAcks(ThreadPoolExecutor(max_workers=1), gate)
    began = time.monotonic()
    assert pool.submit(lambda: 1).result(timeout=2) == 1
    assert time.monotonic() - began < 0.5


def test_work_handed_over_together_waits_max_wait_once_not_once_each() -> None:
    # Requests never stop coming: each piece's wait counts from when it was handed over, so a
    # backlog runs out in max_wait, not in max_wait per piece (ten pieces, one thread: 3 s).
    gate = AcksFirst(max_wait=0.3)
    pool = AfterAcks(ThreadPoolExecutor(max_workers=1), gate)
    with gate.answering():
        began = time.monotonic()
        futures = [pool.submit(lambda i=i: i) for i in range(10)]
        assert [f.result(timeout=5) for f in futures] == list(range(10))
        assert time.monotonic() - began < 1.5
    assert len(gate.waited) == 10 and max(gate.waited) < 1.5
