"""The Docker image and docker-compose.yml, built and run for real where a Docker engine is
reachable: PostgreSQL and two replicas, one running the schedules, both healthy, the doctor
content inside. Without an engine (or the compose plugin) the tests say so and skip."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BOT_TOKEN, CONVENOR, COP, SIGNING_SECRET
from tests.fakeslack import FakeSlack
from tests.scenario.test_cli import _get, free_port

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "kettle:test"


def docker(
    *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["docker", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


@pytest.fixture(scope="module")
def engine_reachable() -> None:
    if shutil.which("docker") is None:
        pytest.skip("skipped: no `docker` command here, so the image and compose file were not run")
    try:
        info = docker("info", "--format", "{{.ServerVersion}}", timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.skip("skipped: `docker info` did not answer within 60 s (no Docker engine)")
    if info.returncode != 0:
        pytest.skip(
            f"skipped: no Docker engine reachable (`docker info`: {_last_line(info.stderr)})"
        )


@pytest.fixture(scope="module")
def image(engine_reachable: None) -> str:
    docker("build", "--tag", IMAGE, ".", timeout=1800)
    return IMAGE


def test_the_image_runs_kettle_as_a_non_root_user_with_a_health_check(image: str) -> None:
    assert docker("run", "--rm", image, "id", "-u").stdout.strip() == "10001"
    manifest = docker("run", "--rm", image, "kettle", "manifest", "--url", "https://k.example")
    assert json.loads(manifest.stdout)["settings"]["event_subscriptions"]["request_url"] == (
        "https://k.example/slack/events"
    )
    health = json.loads(docker("inspect", "--format", "{{json .Config.Healthcheck}}", image).stdout)
    assert "/healthz" in " ".join(health["Test"])
    # The files folder a volume is mounted over is Kettle's to write.
    touched = docker("run", "--rm", image, "sh", "-c", "touch /data/files/x && echo ok")
    assert touched.stdout.strip() == "ok"


@pytest.fixture
def compose(image: str, tmp_path: Path) -> Iterator[tuple[FakeSlack, list[int], list[str]]]:
    if docker("compose", "version", check=False).returncode != 0:
        pytest.skip("skipped: the Docker engine has no `docker compose` plugin")
    fake = FakeSlack(bot_token=BOT_TOKEN, host="0.0.0.0")
    fake.add_user(CONVENOR, "Esther")
    fake.add_channel(COP, "peoples-cop", is_private=True, members=[CONVENOR])
    fake.start()
    first = free_port()
    ports = [first, first + 1]
    override = tmp_path / "compose.test.yml"
    override.write_text(
        f"""services:
  kettle:
    image: {image}
    environment:
      SLACK_BOT_TOKEN: {BOT_TOKEN}
      SLACK_SIGNING_SECRET: {SIGNING_SECRET}
      SLACK_API_URL: http://host.docker.internal:{fake.port}/api/
      KETTLE_COP_CHANNEL: {COP}
      KETTLE_CONVENORS: {CONVENOR}
    extra_hosts:
      - "host.docker.internal:host-gateway"
    ports: !override
      - "{ports[0]}-{ports[1]}:3000"
""",
        encoding="utf-8",
    )
    project = [
        "compose",
        "-p",
        f"kettle-test-{os.getpid()}",
        "-f",
        "docker-compose.yml",
        "-f",
        str(override),
    ]
    try:
        docker(*project, "up", "--detach", "--wait", "--wait-timeout", "300", timeout=900)
        yield fake, ports, project
    finally:
        logs = docker(*project, "logs", "--no-color", check=False, timeout=120)
        docker(*project, "down", "--volumes", "--remove-orphans", check=False, timeout=300)
        fake.stop()
        print(logs.stdout[-5000:])


def test_compose_runs_postgresql_and_two_replicas_one_scheduling(compose) -> None:
    fake, ports, project = compose
    states = []
    for port in ports:
        deadline = time.monotonic() + 120
        status, health = 0, {}
        while time.monotonic() < deadline:
            try:
                status, health = _get(f"http://127.0.0.1:{port}/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(1)
        assert status == 200 and health["database"] == "ok", health
        states.append(health["scheduler"])
    assert sorted(states) == ["leader", "standby"]
    # Both replicas asked Slack who they are, and the doctor inside finds nothing wrong.
    assert len(fake.calls_to("auth.test")) >= 2
    doctor = docker(*project, "exec", "-T", "kettle", "kettle", "doctor", check=False)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "note: schedules run in another Kettle" in doctor.stdout
