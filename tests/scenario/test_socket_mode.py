"""`kettle serve` with SLACK_APP_TOKEN: Socket Mode end to end, over loopback only.

Kettle asks the fake Slack for a link with ``apps.connections.open``, opens the WebSocket and
takes slash commands, modal submissions and events as envelopes, acknowledging each one.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.builders.ids import StoryIds
from bot.db import make_engine, make_session_factory
from bot.models import Story
from tests.conftest import COP, MEMBER, SIGNING_SECRET
from tests.fakeslack import FakeSlack, SlackSigner
from tests.scenario.test_cli import _get, start_serve
from tests.scenario.test_stories import story_values

APP_TOKEN = "xapp-1-A0001-1-kettle"


def wait_for(condition: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture()
def socket_fake(fake: FakeSlack) -> FakeSlack:
    fake.app_token = APP_TOKEN
    return fake


def start_kettle(
    tmp_path: Path, fake: FakeSlack, **extra: str
) -> tuple[subprocess.Popen[str], int]:
    return start_serve(tmp_path, fake, SLACK_APP_TOKEN=APP_TOKEN, **extra)


@pytest.fixture()
def kettle_process(tmp_path: Path, socket_fake: FakeSlack) -> Iterator[subprocess.Popen[str]]:
    proc, port = start_kettle(tmp_path, socket_fake)
    try:

        def healthy() -> bool:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read() if proc.stdout else "exited")
            try:
                return _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
            except OSError:
                return False

        wait_for(healthy, "/healthz", timeout=30)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "stopped cleanly" in output and "Traceback" not in output, output
    return output


def story_count(tmp_path: Path) -> int:
    engine = make_engine(f"sqlite:///{tmp_path / 'kettle.db'}")
    try:
        with make_session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(Story)) or 0
    finally:
        engine.dispose()


def test_serve_with_an_app_token_runs_over_socket_mode(
    tmp_path: Path, socket_fake: FakeSlack, kettle_process: subprocess.Popen[str]
) -> None:
    fake = socket_fake
    opened = fake.calls_to("apps.connections.open")
    assert len(opened) == 1
    fake.socket_mode.wait_for_connection()
    signer = SlackSigner(SIGNING_SECRET, fake=fake)

    # /story from a member of the CoP channel: acked, then the modal opens.
    command = signer.slash_command("/story", "", MEMBER, channel_id=COP).payload
    envelope_id = fake.socket_send("slash_commands", command)
    assert fake.wait_for_socket_ack(envelope_id)["envelope_id"] == envelope_id
    wait_for(lambda: fake.views_opened, "views.open")
    view = fake.views_opened[-1]
    assert view["callback_id"] == StoryIds.MODAL

    # Submitting the modal stores the story and confirms by DM.
    submission = signer.view_submission(MEMBER, view, story_values(title="Tea and trust")).payload
    envelope_id = fake.socket_send("interactive", submission)
    ack = fake.wait_for_socket_ack(envelope_id)
    assert ack["envelope_id"] == envelope_id
    assert not ack.get("payload", {}).get("response_action"), ack
    wait_for(lambda: story_count(tmp_path) == 1, "the story to be stored")
    wait_for(lambda: fake.dm_messages(MEMBER), "the confirmation DM")

    # Opening App Home publishes it, with the story sent from the channel.
    event = signer.event(signer.app_home_opened_event(MEMBER)).payload
    envelope_id = fake.socket_send("events_api", event)
    assert fake.wait_for_socket_ack(envelope_id) == {"envelope_id": envelope_id}
    wait_for(lambda: fake.home(MEMBER), "views.publish")
    assert "Tea and trust" in str(fake.home(MEMBER))

    assert fake.socket_mode.protocol_errors == []
    output = stop(kettle_process)
    assert "Socket Mode connected" in output


def test_socket_mode_reconnects_when_slack_asks(
    socket_fake: FakeSlack, kettle_process: subprocess.Popen[str]
) -> None:
    fake = socket_fake
    first = fake.socket_mode.wait_for_connection()
    fake.socket_disconnect("refresh_requested")
    second = fake.socket_mode.wait_for_connection(count=2)
    assert second is not first
    assert len(fake.calls_to("apps.connections.open")) == 2

    signer = SlackSigner(SIGNING_SECRET, fake=fake)
    event = signer.event(signer.app_home_opened_event(MEMBER)).payload
    envelope_id = fake.socket_send("events_api", event)
    assert fake.wait_for_socket_ack(envelope_id) == {"envelope_id": envelope_id}
    wait_for(lambda: fake.home(MEMBER), "views.publish")
    stop(kettle_process)


def test_a_bot_token_in_slack_app_token_stops_with_one_line(
    tmp_path: Path, socket_fake: FakeSlack
) -> None:
    socket_fake.app_token = "xapp-1-someone-else"
    proc, _port = start_kettle(tmp_path, socket_fake)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, output
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in output
    assert "Traceback" not in output
