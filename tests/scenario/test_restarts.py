"""What a restart keeps: the environment seeds a new community (its first convenors, its name and
channels); what convenors and members then change in Slack stays changed however often Kettle
starts again."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot import runtime
from bot.builders.ids import MembershipIds
from bot.config import Settings
from bot.models import Community, Member, Role
from bot.server import bootstrap_community
from tests.conftest import (
    BOT_TOKEN,
    CONVENOR,
    COP,
    MEMBER,
    MEMBER2,
    MOVEMENT,
    SIGNING_SECRET,
    make_settings,
)
from tests.fakeslack import FakeSlack, SlackSigner
from tests.harness import Kettle
from tests.scenario.test_cli import _get, base_env, free_port

SEEDED = (CONVENOR, MEMBER2)  # KETTLE_CONVENORS: Esther and Rohan


@pytest.fixture
def settings(fake: FakeSlack, db_url: str, tmp_path: Path) -> Settings:
    return make_settings(fake, database_url=db_url, files_dir=tmp_path / "files", convenors=SEEDED)


def restart(settings: Settings | None = None) -> None:
    """Kettle starts again (as `kettle serve` starts), with the same or another environment."""
    rt = runtime.current()
    if settings is not None:
        rt = dataclasses.replace(rt, settings=settings)
    bootstrap_community(rt)


def role_of(kettle: Kettle, user: str) -> Role | None:
    with kettle.db() as session:
        member = session.scalar(select(Member).where(Member.user_id == user))
        return member.role if member is not None and member.is_active else None


def stand_down(kettle: Kettle) -> None:
    reply = kettle.command(CONVENOR, "/cop", f"convenor standdown <@{MEMBER2}>")
    assert "has stood down" in reply.json["text"]


def remove(kettle: Kettle) -> None:
    reply = kettle.command(CONVENOR, "/cop", f"remove <@{MEMBER2}> stepping back")
    assert "has been removed" in reply.json["text"]


def forget_me(kettle: Kettle) -> None:
    kettle.click(MEMBER2, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    assert "Done: Kettle has forgotten you." in kettle.fake.responses[-1]["text"]


@pytest.mark.parametrize(
    ("change", "after"),
    [(stand_down, Role.MEMBER), (remove, None), (forget_me, None)],
    ids=["stood-down", "removed", "forgotten"],
)
def test_a_convenor_named_in_the_environment_stays_as_slack_left_them(
    kettle: Kettle, change: Callable[[Kettle], None], after: Role | None
) -> None:
    assert role_of(kettle, MEMBER2) == Role.CONVENOR  # seeded on the first start
    change(kettle)
    restart()
    restart()
    assert role_of(kettle, MEMBER2) == after
    refused = kettle.command(MEMBER2, "/cop", "review")
    assert "Only a convenor" in refused.json["text"] or "for its members" in refused.json["text"]
    if after is None:
        with kettle.db() as session:
            forgotten = change is forget_me
            row = session.scalar(select(Member).where(Member.user_id == MEMBER2))
            assert (row is None) if forgotten else (row is not None and not row.is_active)
    assert role_of(kettle, CONVENOR) == Role.CONVENOR


def test_someone_who_left_is_not_made_a_member_again_by_a_restart(kettle: Kettle) -> None:
    kettle.click(MEMBER, MembershipIds.LEAVE_BUTTON, channel="D1")
    assert role_of(kettle, MEMBER) is None
    # Kettle could not take them out of the channel (it lacked the right, say).
    kettle.fake.set_members(COP, [*kettle.fake.members_of(COP), MEMBER])
    restart()
    assert role_of(kettle, MEMBER) is None


def test_a_convenor_appointed_in_slack_stays_one_when_the_environment_does_not_name_them(
    kettle: Kettle,
) -> None:
    kettle.command(CONVENOR, "/cop", f"convenor appoint <@{MEMBER}>")
    restart()
    assert role_of(kettle, MEMBER) == Role.CONVENOR


def test_a_later_start_keeps_the_name_and_channels_the_environment_no_longer_gives(
    kettle: Kettle, settings: Settings
) -> None:
    bare = dataclasses.replace(
        settings,
        cop_channel=None,
        movement_channel=None,
        community_name="Community of Practice",
        extra={},
    )
    restart(bare)
    with kettle.db() as session:
        community = session.scalars(select(Community)).one()
        assert (community.name, community.channel_id, community.movement_channel_id) == (
            "People's CoP",
            COP,
            MOVEMENT,
        )
    # Channel members are still members: the channel was not forgotten.
    assert role_of(kettle, MEMBER) == Role.MEMBER
    renamed = dataclasses.replace(
        settings, community_name="Tea Makers", extra={"KETTLE_COMMUNITY_NAME": "Tea Makers"}
    )
    restart(renamed)
    with kettle.db() as session:
        assert session.scalars(select(Community)).one().name == "Tea Makers"


# -- the same, with real `kettle serve` processes --------------------------------------------------


def serve(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read() if proc.stdout else "kettle serve stopped")
        try:
            if _get(f"http://127.0.0.1:{env['PORT']}/healthz")[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("kettle serve never answered /healthz")


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    return output


def command(port: str, fake: FakeSlack, user: str, text: str) -> str:
    request = SlackSigner(SIGNING_SECRET).slash_command(
        "/cop",
        text,
        user,
        channel_id="C0GENERAL",
        trigger_id=fake.issue_trigger_id(),
        response_url=fake.new_response_url(),
    )
    status, _headers, body = request.post(f"http://127.0.0.1:{port}/slack/events")
    assert status == 200
    return body


def test_kettle_serve_restarted_keeps_a_stood_down_convenor_stood_down(
    fake: FakeSlack, tmp_path: Path, db_url: str, engine: Engine, session_factory: object
) -> None:
    port = str(free_port())
    env = base_env(
        tmp_path,
        DATABASE_URL=db_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        PORT=port,
        KETTLE_CONVENORS=",".join(SEEDED),
        KETTLE_COP_CHANNEL=COP,
        KETTLE_COMMUNITY_NAME="People's CoP",
    )
    first = serve(env, tmp_path)
    try:
        said = command(port, fake, CONVENOR, f"convenor standdown <@{MEMBER2}>")
        assert "Rohan has stood down." in said
    finally:
        first_output = stop(first)
    assert "first convenors: 2" in first_output
    # Started again, and by an operator whose environment no longer names the channel.
    again = {k: v for k, v in env.items() if k not in ("KETTLE_COP_CHANNEL",)}
    second = serve(again, tmp_path)
    try:
        refused = command(port, fake, MEMBER2, "review")
        assert "Only a convenor" in refused
        assert "Applications" in command(port, fake, CONVENOR, "review")
    finally:
        second_output = stop(second)
    assert "KETTLE_CONVENORS only seeds a new community" in second_output
    with engine.connect() as conn:
        rows = conn.execute(select(Member.user_id, Member.role)).all()
        channel = conn.execute(select(Community.channel_id)).scalar_one()
    assert dict(rows)[MEMBER2] == Role.MEMBER and dict(rows)[CONVENOR] == Role.CONVENOR
    assert channel == COP


# -- one `kettle serve` per SQLite file ----------------------------------------------------------


def test_a_second_kettle_serve_on_the_same_sqlite_file_is_refused(
    fake: FakeSlack, tmp_path: Path
) -> None:
    env = base_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        PORT=str(free_port()),
        KETTLE_CONVENORS=CONVENOR,
        KETTLE_COP_CHANNEL=COP,
    )
    first = serve(env, tmp_path)
    try:
        # The same file reached by another path, from another folder, on another port.
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        other = {**env, "PORT": str(free_port()), "DATABASE_URL": "sqlite:///../kettle.db"}
        calls_before = len(fake.calls)
        second = subprocess.run(
            [sys.executable, "-m", "bot.cli", "serve"],
            env=other,
            cwd=elsewhere,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2, second.stderr
        last = second.stderr.strip().splitlines()[-1]
        assert last.startswith("kettle: another `kettle serve` is using the SQLite database ")
        assert str(tmp_path / "kettle.db") in last and "Traceback" not in second.stderr
        assert len(fake.calls) == calls_before  # refused before it spoke to Slack
        assert _get(f"http://127.0.0.1:{env['PORT']}/healthz")[1]["scheduler"] == "leader"
    finally:
        stop(first)
    # Once the first has stopped, the file is free again.
    stop(serve(env, tmp_path))


def test_the_lock_goes_with_a_process_that_is_killed(fake: FakeSlack, tmp_path: Path) -> None:
    env = base_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        PORT=str(free_port()),
    )
    first = serve(env, tmp_path)
    first.kill()
    first.communicate(timeout=30)
    stop(serve(env, tmp_path))
