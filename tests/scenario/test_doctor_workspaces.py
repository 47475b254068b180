"""`kettle doctor` installed by OAuth in several workspaces: each installed workspace's own token
is checked against the manifest's scopes and each of its CoPs' channels with that token, one
line per problem naming the workspace; a convenor's App Home shows only their workspace's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot import doctor
from tests.conftest import SIGNING_SECRET
from tests.fakeslack import FakeSlack
from tests.scenario.test_cli import base_env, kettle
from tests.scenario.test_oauth import (
    A_CONVENOR,
    A_COP,
    A_MEMBER,
    B_CONVENOR,
    B_COP,
    B_MEMBER,
    A,
    B,
    Running,
    start,  # noqa: F401 (the fixture)
    world,  # noqa: F401 (the fixture)
)

A_NAME, B_NAME = "Kettle Test", "Second Works"


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    doctor.CACHE.report = None
    yield
    doctor.CACHE.report = None


def installed(start: object) -> Running:  # noqa: F811
    run: Running = start()  # type: ignore[operator]
    run.install(A, A_CONVENOR)
    run.install(B, B_CONVENOR)
    run.community(A, A_COP, A_CONVENOR, A_MEMBER)
    run.community(B, B_COP, B_CONVENOR, B_MEMBER)
    return run


def break_both(fake: FakeSlack) -> None:
    """A installed before the manifest asked for groups:write; in B someone removed Kettle
    from the CoP's private channel."""
    fake.oauth.drop_scope(A, "groups:write")
    with fake.acting_as(B):
        fake.set_members(B_COP, [B_CONVENOR, B_MEMBER])


def doctor_cli(tmp_path: Path, fake: FakeSlack, db_url: str):
    env = base_env(
        tmp_path,
        SLACK_CLIENT_ID=fake.oauth.client_id,
        SLACK_CLIENT_SECRET=fake.oauth.client_secret,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=db_url,
        KETTLE_FILES_DIR=str(tmp_path / "files"),
    )
    return kettle("doctor", env=env, cwd=tmp_path)


def test_kettle_doctor_checks_each_installed_workspace_with_its_own_token(
    start: object,  # noqa: F811
    tmp_path: Path,
    db_url: str,
) -> None:
    run = installed(start)
    fake = run.fake
    sound = doctor_cli(tmp_path, fake, db_url)
    assert sound.returncode == 0, sound.stdout + sound.stderr
    assert sound.stdout.strip() == "" and "set-up is in order" in sound.stderr
    # Each workspace was asked with its own token: auth.test, then its own CoP's channel.
    token_a, token_b = fake.oauth.token_of(A), fake.oauth.token_of(B)
    assert set(fake.tokens_used("auth.test")) >= {token_a, token_b}
    with fake.lock:
        infos = [
            (p.get("channel"), t)
            for (m, p), (_, t) in zip(fake.calls, fake.call_tokens, strict=True)
            if m == "conversations.info"
        ]
    assert set(infos) == {(A_COP, token_a), (B_COP, token_b)}

    break_both(fake)
    broken = doctor_cli(tmp_path, fake, db_url)
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    lines = broken.stdout.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(
        f"In workspace {A_NAME} ({A}): the token lacks the scope groups:write"
    )
    assert "/slack/install" in lines[0] and "SLACK_BOT_TOKEN" not in lines[0]
    assert lines[1].startswith(f"In workspace {B_NAME} ({B}): The CoP's channel {B_COP}")
    assert "/invite @Kettle" in lines[1]
    assert "2 problem(s) found" in broken.stderr


def test_a_workspace_without_a_cop_and_a_cop_whose_workspace_uninstalled(
    start: object,  # noqa: F811
    tmp_path: Path,
    db_url: str,
) -> None:
    run: Running = start(on_uninstall="keep")  # type: ignore[operator]
    run.install(A, A_CONVENOR)
    run.install(B, B_CONVENOR)
    run.community(A, A_COP, A_CONVENOR, A_MEMBER)
    result = doctor_cli(tmp_path, run.fake, db_url)
    assert result.returncode == 0, result.stdout + result.stderr  # a note is not a problem
    assert result.stdout.strip().splitlines() == [
        f"In workspace {B_NAME} ({B}): note: no CoP is set up here yet: a convenor or workspace "
        "admin runs `/cop setup` in the CoP's private channel."
    ]
    run.fake.oauth.uninstall(A)
    assert run.event(A, "app_uninstalled").status == 200
    result = doctor_cli(tmp_path, run.fake, db_url)
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 1
    assert [line for line in lines if "note:" not in line] == [
        f"the CoP {A} CoP belongs to workspace {A}, where Kettle is not installed any more: "
        "install it there again from /slack/install (its data is kept until then)."
    ]


def home_of(run: Running, team: str, user: str) -> str:
    signer = run.signers[team]
    run.kettle.send(signer.event(signer.app_home_opened_event(user)))
    with run.fake.acting_as(team):
        home = run.fake.home(user)
    assert home is not None
    return json.dumps(home["blocks"])


def test_each_convenors_home_shows_only_their_own_workspaces_lines(
    start: object,  # noqa: F811
    engine: Engine,
    fresh_cache: None,
) -> None:
    run = installed(start)
    break_both(run.fake)
    doctor.CACHE.store(
        doctor.run_checks(
            run.kettle.settings,
            client=run.kettle.client,
            engine=engine,
            lease=False,
            workspaces=run.workspaces,
        )
    )
    shown_a = home_of(run, A, A_CONVENOR)
    assert "Kettle found 1 thing(s) to fix" in shown_a and "groups:write" in shown_a
    assert B_NAME not in shown_a and B_COP not in shown_a
    shown_b = home_of(run, B, B_CONVENOR)
    assert "Kettle found 1 thing(s) to fix" in shown_b and B_COP in shown_b
    assert A_NAME not in shown_b and "groups:write" not in shown_b
    assert "Kettle's set-up" not in home_of(run, B, B_MEMBER)
