"""`kettle doctor` as an operator runs it: the real CLI against the fake Slack, one
misconfiguration at a time, each found and told in its one line with its fix."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.scheduler import LEASE_APPLICATION, SCHEDULER_LOCK_KEY
from tests.conftest import BOT_TOKEN, COP, GENERAL, MOVEMENT, SIGNING_SECRET
from tests.fakeslack import FakeSlack
from tests.scenario.test_cli import _get, base_env, kettle, start_serve


def doctor_env(tmp_path: Path, fake: FakeSlack, **extra: str) -> dict[str, str]:
    values = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "KETTLE_COP_CHANNEL": COP,
        "KETTLE_MOVEMENT_CHANNEL": MOVEMENT,
        "KETTLE_FILES_DIR": str(tmp_path / "files"),
    }
    values.update(extra)
    return base_env(tmp_path, **values)


def run_doctor(tmp_path: Path, fake: FakeSlack, *, migrate: bool = True, **extra: str):
    env = doctor_env(tmp_path, fake, **extra)
    if migrate:
        done = kettle("migrate", env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    return kettle("doctor", env=env, cwd=tmp_path)


def only_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one problem line: doctor printed exactly one and said so."""
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, lines
    assert "1 problem(s) found" in result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_a_sound_set_up_has_no_lines_and_exits_0(tmp_path: Path, fake: FakeSlack) -> None:
    result = run_doctor(tmp_path, fake)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""
    assert "set-up is in order" in result.stderr
    # It asked Slack, as Slack is asked: the token, then each channel.
    assert fake.calls_to("auth.test")
    assert {c["channel"] for c in fake.calls_to("conversations.info")} == {COP, MOVEMENT}


def test_a_missing_scope(tmp_path: Path, fake: FakeSlack) -> None:
    fake.scopes.discard("groups:write")
    line = only_line(run_doctor(tmp_path, fake))
    assert line.startswith("the token lacks the scope groups:write")
    assert "Reinstall to Workspace" in line and "SLACK_BOT_TOKEN" in line


def test_a_channel_that_does_not_exist(tmp_path: Path, fake: FakeSlack) -> None:
    line = only_line(run_doctor(tmp_path, fake, KETTLE_MOVEMENT_CHANNEL="C0GONE"))
    assert line.startswith("The movement's channel C0GONE (KETTLE_MOVEMENT_CHANNEL)")
    assert "no such channel" in line and "/invite @Kettle" in line


def test_a_public_cop_channel(tmp_path: Path, fake: FakeSlack) -> None:
    line = only_line(run_doctor(tmp_path, fake, KETTLE_COP_CHANNEL=GENERAL))
    assert line.startswith(f"The CoP's channel #general ({GENERAL}) is public")
    assert "Change to a private channel" in line and "KETTLE_COP_CHANNEL" in line


def test_kettle_not_in_the_movements_channel(tmp_path: Path, fake: FakeSlack) -> None:
    fake.add_channel("C0MOVE2", "movement-news", is_private=False, bot_is_member=False)
    line = only_line(run_doctor(tmp_path, fake, KETTLE_MOVEMENT_CHANNEL="C0MOVE2"))
    assert line == (
        "Kettle is not in the movement's channel #movement-news (C0MOVE2): "
        "open the channel and type `/invite @Kettle`."
    )


def test_an_archived_channel(tmp_path: Path, fake: FakeSlack) -> None:
    fake.archive_channel(MOVEMENT)
    line = only_line(run_doctor(tmp_path, fake))
    assert line.startswith(f"The movement's channel #movement ({MOVEMENT}) is archived")


def test_an_unmigrated_database(tmp_path: Path, fake: FakeSlack) -> None:
    line = only_line(run_doctor(tmp_path, fake, migrate=False))
    assert line.startswith("the database is at no revision (empty), this Kettle needs ")
    assert "run `kettle migrate`" in line


def test_an_unreachable_database(tmp_path: Path, fake: FakeSlack) -> None:
    result = run_doctor(
        tmp_path, fake, migrate=False, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none"
    )
    line = only_line(result)
    assert line.startswith("cannot reach the database (OperationalError)")


def test_a_file_store_that_is_not_writable(tmp_path: Path, fake: FakeSlack) -> None:
    # A folder beneath a plain file can never be made, whoever Kettle runs as.
    (tmp_path / "not-a-folder").write_text("x")
    files = tmp_path / "not-a-folder" / "files"
    line = only_line(run_doctor(tmp_path, fake, KETTLE_FILES_DIR=str(files)))
    assert line.startswith(f"KETTLE_FILES_DIR {files} is not writable (Not a directory)")
    assert "write access" in line


def test_the_lease_held_elsewhere_on_sqlite(tmp_path: Path, fake: FakeSlack) -> None:
    env = doctor_env(tmp_path, fake)
    assert kettle("migrate", env=env, cwd=tmp_path).returncode == 0
    # Something that is not `kettle serve` holds the database's lock.
    with open(tmp_path / "kettle.db.lock", "w", encoding="utf-8") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.write(f"{os.getpid()}\n")
        holder.flush()
        line = only_line(kettle("doctor", env=env, cwd=tmp_path))
    assert line.startswith(f"the scheduler lease is held by process {os.getpid()} on ")
    assert "not a running Kettle, so no schedules run anywhere" in line
    assert f"stop process {os.getpid()}" in line
    # Once it lets go, nothing is said.
    assert kettle("doctor", env=env, cwd=tmp_path).returncode == 0


def test_several_problems_are_one_line_each(tmp_path: Path, fake: FakeSlack) -> None:
    fake.scopes -= {"files:read", "users:read"}
    fake.add_channel("C0MOVE2", "movement-news", is_private=False, bot_is_member=False)
    result = run_doctor(tmp_path, fake, KETTLE_MOVEMENT_CHANNEL="C0MOVE2")
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "the token lacks the scope files:read",
        "the token lacks the scope users:read",
        "Kettle is not in the movement's channel #movement-news",
    ]
    assert "3 problem(s) found" in result.stderr


@pytest.mark.postgres
def test_the_lease_held_elsewhere_on_postgresql(
    tmp_path: Path, fake: FakeSlack, engine: Engine, db_url: str
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL lease needs KETTLE_TEST_DATABASE_URL")
    url = engine.url.render_as_string(hide_password=False)
    env = doctor_env(tmp_path, fake, DATABASE_URL=url)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SCHEDULER_LOCK_KEY})
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        conn.commit()
        try:
            line = only_line(kettle("doctor", env=env, cwd=tmp_path))
            assert line.startswith(f"the scheduler lease is held by PostgreSQL session {pid}")
            assert f"SELECT pg_terminate_backend({pid})" in line
            # A Kettle replica holding it is a note, not a problem.
            conn.execute(
                text("SELECT set_config('application_name', :n, false)"),
                {"n": f"{LEASE_APPLICATION} elsewhere:1"},
            )
            conn.commit()
            noted = kettle("doctor", env=env, cwd=tmp_path)
            assert noted.returncode == 0, noted.stdout + noted.stderr
            assert noted.stdout.startswith("note: schedules run in another Kettle")
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEDULER_LOCK_KEY})
            conn.commit()


def wait_healthy(port: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _ = _get(f"http://127.0.0.1:{port}/healthz")
            if status == 200:
                return status
        except OSError:
            pass
        time.sleep(0.1)
    return 0


def test_serve_logs_the_lines_at_start_and_carries_on_where_safe(
    tmp_path: Path, fake: FakeSlack
) -> None:
    fake.add_channel("C0MOVE2", "movement-news", is_private=False, bot_is_member=False)
    fake.scopes.discard("files:read")
    proc, port = start_serve(tmp_path, fake, KETTLE_MOVEMENT_CHANNEL="C0MOVE2")
    try:
        assert wait_healthy(port) == 200, proc.stdout.read() if proc.poll() is not None else ""
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert "set-up: the token lacks the scope files:read" in output
    assert "set-up: Kettle is not in the movement's channel #movement-news (C0MOVE2)" in output
    assert proc.returncode == 0 and "stopped cleanly" in output


def test_serve_refuses_a_public_cop_channel(tmp_path: Path, fake: FakeSlack) -> None:
    proc, _port = start_serve(tmp_path, fake, KETTLE_COP_CHANNEL=GENERAL)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, output
    last = output.strip().splitlines()[-1]
    assert last.startswith(f"kettle: The CoP's channel #general ({GENERAL}) is public")
    assert "Kettle will not start: Kettle posts the CoP's confidential stories" in last
    assert "Traceback" not in output


def test_a_running_kettle_holding_the_lease_is_a_note_not_a_problem(
    tmp_path: Path, fake: FakeSlack
) -> None:
    proc, port = start_serve(tmp_path, fake, KETTLE_MOVEMENT_CHANNEL=MOVEMENT)
    try:
        assert wait_healthy(port) == 200
        result = kettle("doctor", env=doctor_env(tmp_path, fake), cwd=tmp_path)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(
        f"note: schedules run in another Kettle (process {proc.pid} on "
    )
