"""The `kettle` command as an operator runs it: real processes, real ports, the fake Slack."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, inspect

from bot.db import make_engine
from bot.models import slack_bots, slack_installations, slack_oauth_states
from bot.models.workspaces import SECRET_COLUMNS, SECRET_LEFT_OUT
from bot.web import make_wsgi_app
from tests.conftest import BOT_TOKEN, CONVENOR, COP, MEMBER, SIGNING_SECRET
from tests.fakeslack import FakeSlack, SlackSigner

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "KETTLE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite:///{tmp_path / 'kettle.db'}",
        KETTLE_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def kettle(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_missing_setting_stops_with_one_line(tmp_path: Path) -> None:
    result = kettle("serve", env=base_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("kettle: SLACK_BOT_TOKEN is not set")
    assert "Traceback" not in result.stderr


def test_settings_are_read_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-1\nSLACK_SIGNING_SECRET=nothex\n")
    result = kettle("serve", env=base_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET looks wrong" in result.stderr


def test_migrate_then_export(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    first = kettle("migrate", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "migrated to" in first.stdout
    again = kettle("migrate", env=env, cwd=tmp_path)
    assert "already at" in again.stdout
    exported = kettle("export", "--for", "backup", env=env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert {"communities", "members", "stories", "deliveries"} <= set(data["tables"])
    shared = kettle("export", env=env, cwd=tmp_path)
    assert shared.returncode == 0, shared.stderr
    assert "tables" not in json.loads(shared.stdout)


SECRETS = {
    "bot_token": "xoxe.xoxb-1-LIVEBOT",
    "bot_refresh_token": "xoxe-1-LIVEREFRESH",
    "user_token": "xoxe.xoxp-1-LIVEUSER",
    "user_refresh_token": "xoxe-1-LIVEUSERREFRESH",
    "incoming_webhook_url": "https://hooks.slack.com/services/T1/B1/LIVEHOOK",
}
STATE = "LIVESTATE-a-link-in-flight"


def installed_workspace(tmp_path: Path, env: dict[str, str]) -> None:
    """A migrated database holding a workspace installed by OAuth, and an install link open."""
    assert kettle("migrate", env=env, cwd=tmp_path).returncode == 0
    engine = make_engine(env["DATABASE_URL"])
    now = datetime.now(UTC)
    team = {"client_id": "1.2", "app_id": "A1", "team_id": "T1", "installed_at": now}
    bot = {k: SECRETS[k] for k in ("bot_token", "bot_refresh_token")}
    with engine.begin() as conn:
        conn.execute(insert(slack_installations).values(**team, **SECRETS, user_id="UINST"))
        conn.execute(insert(slack_bots).values(**team, **bot, bot_id="B1", bot_user_id="UB"))
        conn.execute(insert(slack_oauth_states).values(state=STATE, expire_at=now))
    engine.dispose()


def test_a_backup_leaves_the_secrets_out_unless_asked_and_says_which(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    installed_workspace(tmp_path, env)
    plain = kettle("export", "--for", "backup", "-o", "backup.json", env=env, cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "secrets left out" in plain.stderr and "/slack/install" in plain.stderr
    text = (tmp_path / "backup.json").read_text(encoding="utf-8")
    assert [s for s in [*SECRETS.values(), STATE] if s in text] == []
    data = json.loads(text)
    assert data["secrets"]["included"] is False
    (installation,) = data["tables"]["slack_installations"]
    assert {k: installation[k] for k in SECRETS} == dict.fromkeys(SECRETS, SECRET_LEFT_OUT)
    assert installation["team_id"] == "T1" and installation["user_id"] == "UINST"
    assert data["tables"]["slack_bots"][0]["bot_token"] == SECRET_LEFT_OUT
    assert data["tables"]["slack_oauth_states"][0]["state"] == SECRET_LEFT_OUT
    assert sorted(data["secrets"]["left_out"]) == sorted(
        f"{t}.{c}" for t, cols in SECRET_COLUMNS.items() for c in cols
    )

    full = kettle("export", "--for", "backup", "--with-secrets", env=env, cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    assert "with secrets" in full.stderr and "live tokens" in full.stderr
    data = json.loads(full.stdout)
    assert data["secrets"] == {"included": True}
    assert all(s in full.stdout for s in [*SECRETS.values(), STATE])
    assert SECRET_LEFT_OUT not in full.stdout

    for wrong in (["--for", "sharing"], ["--for", "backup", "--format", "csv"]):
        refused = kettle("export", *wrong, "--with-secrets", env=env, cwd=tmp_path)
        assert refused.returncode == 2 and refused.stdout == ""
        assert "--with-secrets is for a JSON backup" in refused.stderr


def test_export_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = kettle("export", env=base_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "kettle migrate" in result.stderr


def test_manifest_prints_json(tmp_path: Path) -> None:
    result = kettle(
        "manifest", "--url", "https://kettle.example.org", env=base_env(tmp_path), cwd=tmp_path
    )
    manifest = json.loads(result.stdout)
    assert manifest["features"]["slash_commands"][0]["command"] == "/story"


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    env = base_env(tmp_path, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    result = kettle("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("kettle: cannot reach the database")


def test_serve_refuses_old_schema_with_no_migrate(tmp_path: Path) -> None:
    env = base_env(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET)
    result = kettle("serve", "--no-migrate", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "kettle migrate" in result.stderr


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def start_serve(tmp_path: Path, fake: FakeSlack, **extra: str) -> tuple[subprocess.Popen[str], int]:
    """`kettle serve` as a real process on a free port, talking to the fake Slack."""
    port = free_port()
    settings = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "PORT": str(port),
        "KETTLE_CONVENORS": CONVENOR,
        "KETTLE_COP_CHANNEL": COP,
    }
    env = base_env(tmp_path, **{**settings, **extra})
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, port


def test_serve_end_to_end_and_clean_shutdown(tmp_path: Path, fake: FakeSlack) -> None:
    proc, port = start_serve(tmp_path, fake)
    try:
        deadline = time.monotonic() + 30
        status = 0
        while time.monotonic() < deadline:
            try:
                status, health = _get(f"http://127.0.0.1:{port}/healthz")
                if status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        assert status == 200, proc.stdout.read() if proc.poll() is not None else "no answer"
        assert health["database"] == "ok" and health["scheduler"] == "leader"

        signer = SlackSigner(SIGNING_SECRET)
        request = signer.slash_command(
            "/story",
            "tea",
            MEMBER,
            trigger_id=fake.issue_trigger_id(),
            response_url=fake.new_response_url(),
        )
        code, _headers, _body = request.post(f"http://127.0.0.1:{port}/slack/events")
        assert code == 200
        for _ in range(100):
            if fake.views_opened:
                break
            time.sleep(0.05)
        assert fake.views_opened and fake.views_opened[-1]["callback_id"] == "story_modal"
        forged = signer.forge(request, "signature")
        assert forged.post(f"http://127.0.0.1:{port}/slack/events")[0] == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "stopped cleanly" in output
    assert "Traceback" not in output
    # The modal was opened by the call worker (bot/call_worker.py), which ended with Kettle.
    started = re.search(r"Web API calls are made by a worker process \(pid (\d+)\)", output)
    assert started, output
    assert not Path(f"/proc/{started.group(1)}").exists()

    engine = make_engine(base_env(tmp_path)["DATABASE_URL"])
    assert "apscheduler_jobs" in inspect(engine).get_table_names()
    engine.dispose()


def test_healthz_is_503_when_the_database_is_unreachable() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", pool_pre_ping=False)
    wsgi = make_wsgi_app(app=None, engine=engine)  # type: ignore[arg-type]
    statuses: list[str] = []
    body = b"".join(
        wsgi({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, lambda s, h: statuses.append(s))
    )
    assert statuses == ["503 Service Unavailable"]
    assert json.loads(body)["status"] == "unavailable"


@pytest.mark.skipif(
    not os.environ.get("KETTLE_TEST_DATABASE_URL"), reason="replicas need PostgreSQL"
)
def test_two_replicas_migrating_at_once_both_succeed(tmp_path: Path) -> None:
    from sqlalchemy import text

    url = os.environ["KETTLE_TEST_DATABASE_URL"]
    scratch = "kettle_migrate_race"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {scratch}"))
        conn.execute(text(f"CREATE DATABASE {scratch}"))
    admin.dispose()
    scratch_url = url.rsplit("/", 1)[0] + "/" + scratch
    env = base_env(tmp_path, DATABASE_URL=scratch_url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "migrate"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    assert sum("migrated to" in out for out, _ in outputs) == 1


def test_manifest_in_oauth_mode_prints_the_redirect_url(tmp_path: Path) -> None:
    env = base_env(tmp_path, SLACK_CLIENT_ID="1111111111.2222222222", SLACK_CLIENT_SECRET="secret")
    result = kettle("manifest", "--url", "https://kettle.example.org", env=env, cwd=tmp_path)
    manifest = json.loads(result.stdout)
    url = "https://kettle.example.org/slack/oauth_redirect"
    assert manifest["oauth_config"]["redirect_urls"] == [url]
    assert f"OAuth redirect URL: {url}" in result.stderr
