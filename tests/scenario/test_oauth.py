"""Any number of workspaces: Kettle installed by Slack's OAuth flow through its real HTTP pages
(install page → state → Slack's authorize page → redirect with a code → stored installation),
each workspace's requests and scheduled jobs sent with its own token, tokens rotated before they
expire, and uninstalling or revoking handled as the operator chose."""

from __future__ import annotations

import html
import json
import logging
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import DateTime, Engine, delete, func, insert, select

from bot import runtime
from bot.config import Settings
from bot.db import make_session_factory
from bot.delivery import PostRateLimiter, Sender
from bot.models import (
    Community,
    Delivery,
    Member,
    slack_bots,
    slack_installations,
    slack_oauth_states,
)
from bot.schedules.checkins import run_tick
from bot.services import membership
from bot.services.knowledge.export import render
from bot.services.membership import SlackProfile
from bot.slack import make_client
from bot.workspaces import Workspaces
from tests.conftest import SIGNING_SECRET, make_settings, wipe
from tests.fakeslack import FakeSlack, SlackSigner
from tests.harness import Kettle, Reply, http_get

A, B = "T0001", "T0002"
A_CONVENOR, A_MEMBER = "UA1", "UA2"
B_CONVENOR, B_MEMBER = "UB1", "UB2"
A_COP, B_COP = "CACOP", "CBCOP"
MONDAY_0930_LONDON = datetime(2026, 3, 30, 8, 30, tzinfo=UTC)


@pytest.fixture
def world() -> Iterator[FakeSlack]:
    """Two workspaces of one Slack, each with its CoP channel and two people."""
    slack = FakeSlack(bot_token="xoxb-not-given-to-kettle")
    slack.oauth.add_team(B, "Second Works", bot_user_id="UBOTB", bot_id="BBOTB")
    for team, people, cop in (
        (A, (A_CONVENOR, A_MEMBER), A_COP),
        (B, (B_CONVENOR, B_MEMBER), B_COP),
    ):
        with slack.acting_as(team):
            for user_id in people:
                slack.add_user(user_id, f"Person {user_id}", tz="Europe/London")
            slack.add_channel(cop, f"cop-{team.lower()}", is_private=True, members=list(people))
    with slack:
        yield slack


def oauth_settings(fake: FakeSlack, db_url: str, tmp_path: Path, **overrides: object) -> Settings:
    return make_settings(
        fake,
        bot_token="",
        client_id=fake.oauth.client_id,
        client_secret=fake.oauth.client_secret,
        database_url=db_url,
        files_dir=tmp_path / "files",
        cop_channel=None,
        movement_channel=None,
        **{"convenors": (), **overrides},  # type: ignore[arg-type]
    )


def install_at(base: str, team: str, installer: str, *, wait: float = 0) -> Reply:
    """A person in `team` opens Kettle's Add to Slack page (at `base`), approves on Slack's
    authorize page, and comes back to Kettle with the code; `wait`: for Kettle to start."""
    deadline = time.monotonic() + wait
    while True:
        try:
            page = http_get(base + "/slack/install")
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    assert page.status == 200 and "Add to Slack" in page.text
    state_cookie = page.headers["set-cookie"].split(";")[0]
    link = html.unescape(re.search(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page.text)[1])
    approved = http_get(link, cookie=f"d={team}:{installer}")
    assert approved.status == 302
    return http_get(approved.headers["location"], cookie=state_cookie)


class Running:
    """Kettle in OAuth mode, served over HTTP, with its runtime installed for the jobs."""

    def __init__(self, fake: FakeSlack, settings: Settings, engine: Engine) -> None:
        self.fake = fake
        self.session_factory = make_session_factory(engine)
        client = make_client(None, settings.api_url, max_retries=3)
        sender = Sender(client, self.session_factory, limiter=PostRateLimiter(0))
        self.workspaces = Workspaces(
            settings,
            engine,
            make_client=lambda token: make_client(token, settings.api_url, max_retries=3),
            base_sender=sender,
        )
        self.rt = runtime.Runtime(
            settings, engine, self.session_factory, client, sender, workspaces=self.workspaces
        )
        runtime.install(self.rt)
        self.kettle = Kettle(
            settings, fake, self.session_factory, client, sender=sender, workspaces=self.workspaces
        )
        self.kettle.start(engine)
        fake.oauth.redirect_urls = [self.kettle.url + "/slack/oauth_redirect"]
        self.signers = {
            A: SlackSigner(SIGNING_SECRET, team_id=A, bot_user_id="UBOT"),
            B: SlackSigner(SIGNING_SECRET, team_id=B, bot_user_id="UBOTB"),
        }

    def install(self, team: str, installer: str) -> Reply:
        return install_at(self.kettle.url, team, installer)

    def community(self, team: str, cop: str, convenor: str, member: str) -> int:
        """A CoP in `team` (as `/cop setup` makes one), its convenor and a member."""
        with self.kettle.db() as session:
            community = Community(slug=f"cop-{team.lower()}", name=f"{team} CoP", settings={})
            community.team_id, community.channel_id = team, cop
            session.add(community)
            session.flush()
            membership.seed_convenors(
                session, community, [SlackProfile(convenor, "Convenor", "Europe/London")]
            )
            membership.admit(session, community, SlackProfile(member, "Member", "Europe/London"))
            return community.id

    def command(self, team: str, user: str, command: str, channel: str) -> Reply:
        request = self.signers[team].slash_command(
            command,
            "",
            user,
            channel_id=channel,
            trigger_id=self.fake.issue_trigger_id(),
            response_url=self.fake.new_response_url(),
        )
        return self.kettle.send(request)

    def event(self, team: str, request_kind: str, **kw: object) -> Reply:
        signer = self.signers[team]
        return self.kettle.send(getattr(signer, request_kind)(**kw))

    def stop(self) -> None:
        try:
            self.kettle.stop()
        finally:
            runtime.clear()


@pytest.fixture
def start(world: FakeSlack, db_url: str, tmp_path: Path, engine: Engine) -> Iterator[object]:
    running: list[Running] = []

    def _start(**overrides: object) -> Running:
        run = Running(world, oauth_settings(world, db_url, tmp_path, **overrides), engine)
        running.append(run)
        return run

    yield _start
    for run in running:
        run.stop()
    wipe(engine)


def posts_by_token(fake: FakeSlack) -> list[tuple[str, str | None]]:
    """(whom, token used) of every chat.postMessage; a DM is named by its person."""
    with fake.lock:
        calls = list(zip(fake.calls, fake.call_tokens, strict=True))
        dms = {cid: c["user"] for cid, c in fake.channels.items() if c.get("is_im")}
    return [
        (dms.get(p.get("channel", ""), p.get("channel", "")), token)
        for (method, p), (_, token) in calls
        if method == "chat.postMessage"
    ]


def test_two_workspaces_install_by_oauth_and_each_uses_its_own_token(start: object) -> None:
    run: Running = start()  # type: ignore[operator]
    done_a = run.install(A, A_CONVENOR)
    done_b = run.install(B, B_CONVENOR)
    assert done_a.status == 200 and "Kettle is in Kettle Test" in done_a.text
    assert done_b.status == 200 and "Kettle is in Second Works" in done_b.text

    # oauth.v2.access was called with the app's credentials, once per code.
    exchanges = run.fake.oauth.exchanges
    assert [e.get("code", "").split(".")[0] for e in exchanges] == [A, B]
    token_a, token_b = run.fake.oauth.token_of(A), run.fake.oauth.token_of(B)
    assert token_a and token_b and token_a != token_b
    with run.kettle.db() as session:
        rows = session.execute(
            select(
                slack_installations.c.team_id,
                slack_installations.c.bot_token,
                slack_installations.c.bot_user_id,
                slack_installations.c.user_id,
            ).order_by(slack_installations.c.team_id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (A, token_a, "UBOT", A_CONVENOR),
        (B, token_b, "UBOTB", B_CONVENOR),
    ]

    run.community(A, A_COP, A_CONVENOR, A_MEMBER)
    # Before the second workspace has a CoP of its own, nothing of the first's is found for
    # its people: not by the first's channel id, not as "the first community", not its
    # convenors' names.
    for channel in (B_COP, A_COP):
        refused = run.command(B, B_MEMBER, "/story", channel)
        assert "for its members" in refused.text and A_CONVENOR not in refused.text
    run.community(B, B_COP, B_CONVENOR, B_MEMBER)
    run.fake.reset_calls()
    with run.fake.lock:
        run.fake.call_tokens.clear()
    run.command(B, B_MEMBER, "/story", B_COP)
    run.command(A, A_MEMBER, "/story", A_COP)
    assert run.fake.tokens_used("views.open") == [token_b, token_a]


def test_each_workspaces_scheduled_job_uses_its_own_token(start: object) -> None:
    run: Running = start()  # type: ignore[operator]
    run.install(A, A_CONVENOR)
    run.install(B, B_CONVENOR)
    run.community(A, A_COP, A_CONVENOR, A_MEMBER)
    run.community(B, B_COP, B_CONVENOR, B_MEMBER)
    run_tick(run.rt, now=MONDAY_0930_LONDON)
    by_user: dict[str, set[str | None]] = {}
    for channel, token in posts_by_token(run.fake):
        by_user.setdefault(channel, set()).add(token)
    token_a, token_b = run.fake.oauth.token_of(A), run.fake.oauth.token_of(B)
    assert by_user == {
        A_CONVENOR: {token_a},
        A_MEMBER: {token_a},
        B_CONVENOR: {token_b},
        B_MEMBER: {token_b},
    }
    with run.kettle.db() as session:
        teams = dict(session.execute(select(Delivery.channel, Delivery.team_id)).all())
    assert teams == {A_CONVENOR: A, A_MEMBER: A, B_CONVENOR: B, B_MEMBER: B}
    with run.fake.acting_as(B):
        assert len(run.fake.dm_messages(B_MEMBER)) == 1


def test_token_rotation_refreshes_an_expiring_token_for_requests_and_jobs(start: object) -> None:
    run: Running = start()  # type: ignore[operator]
    run.fake.oauth.token_rotation = True
    run.install(A, A_CONVENOR)
    run.install(B, B_CONVENOR)
    first_a, first_b = run.fake.oauth.token_of(A), run.fake.oauth.token_of(B)
    assert first_a and first_a.startswith("xoxe.xoxb-")
    run.community(A, A_COP, A_CONVENOR, A_MEMBER)
    run.community(B, B_COP, B_CONVENOR, B_MEMBER)
    run.command(A, A_MEMBER, "/story", A_COP)
    assert run.fake.tokens_used("views.open")[-1] == first_a
    assert [e.get("grant_type") for e in run.fake.oauth.exchanges] == [None, None]

    # Eleven hours on, each token has under the two hours left that Kettle rotates at.
    with time_machine.travel(time.time() + 11 * 3600, tick=True):
        run.command(A, A_MEMBER, "/story", A_COP)  # Bolt's authorize rotates A's
        run_tick(run.rt, now=MONDAY_0930_LONDON)  # the job rotates B's
        run.command(A, A_MEMBER, "/story", A_COP)  # A's new token is used, not rotated again
    refreshes = [e for e in run.fake.oauth.exchanges if e.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 2
    second_a, second_b = run.fake.oauth.token_of(A), run.fake.oauth.token_of(B)
    assert second_a not in (None, first_a) and second_b not in (None, first_b)
    assert run.fake.tokens_used("views.open")[-2:] == [second_a, second_a]
    assert {t for c, t in posts_by_token(run.fake) if c in (B_CONVENOR, B_MEMBER)} == {second_b}
    with run.kettle.db() as session:
        stored = dict(session.execute(select(slack_bots.c.team_id, slack_bots.c.bot_token)).all())
    assert stored == {A: second_a, B: second_b}


def _installed(run: Running, team: str) -> bool:
    return run.workspaces.store.find_installation(enterprise_id=None, team_id=team) is not None


def test_app_uninstalled_keeps_the_data_and_its_jobs_skip_it_saying_so_once(
    start: object, caplog: pytest.LogCaptureFixture
) -> None:
    run: Running = start(on_uninstall="keep")  # type: ignore[operator]
    run.install(A, A_CONVENOR)
    run.install(B, B_CONVENOR)
    community_a = run.community(A, A_COP, A_CONVENOR, A_MEMBER)
    run.community(B, B_COP, B_CONVENOR, B_MEMBER)
    run.fake.oauth.uninstall(A)
    assert run.event(A, "app_uninstalled").status == 200
    assert not _installed(run, A) and _installed(run, B)
    with run.kettle.db() as session:
        assert session.get(Community, community_a) is not None
        assert (
            session.scalar(
                select(func.count()).select_from(Member).where(Member.community_id == community_a)
            )
            == 2
        )

    caplog.set_level(logging.WARNING, logger="bot.workspaces")
    run_tick(run.rt, now=MONDAY_0930_LONDON)
    run_tick(run.rt, now=MONDAY_0930_LONDON.replace(minute=31))
    sent_to = {channel for channel, _ in posts_by_token(run.fake)}
    assert sent_to == {B_CONVENOR, B_MEMBER}  # nothing tried with A's dead token
    said = [
        r.getMessage()
        for r in caplog.records
        if "not installed in workspace T0001" in r.getMessage()
    ]
    assert len(said) == 1

    # Installed again: the kept CoP carries on, with the new token.
    run.install(A, A_CONVENOR)
    run_tick(run.rt, now=MONDAY_0930_LONDON.replace(minute=32))
    token_a = run.fake.oauth.token_of(A)
    assert {t for c, t in posts_by_token(run.fake) if c in (A_CONVENOR, A_MEMBER)} == {token_a}


def test_app_uninstalled_with_delete_deletes_only_that_workspaces_data(start: object) -> None:
    run: Running = start(on_uninstall="delete")  # type: ignore[operator]
    run.install(A, A_CONVENOR)
    run.install(B, B_CONVENOR)
    community_a = run.community(A, A_COP, A_CONVENOR, A_MEMBER)
    community_b = run.community(B, B_COP, B_CONVENOR, B_MEMBER)
    with run.kettle.db() as session:
        session.add(Delivery(key="waiting:a", channel=A_MEMBER, team_id=A, payload={"text": "hi"}))
        session.add(Delivery(key="waiting:b", channel=B_MEMBER, team_id=B, payload={"text": "hi"}))
    run.fake.oauth.uninstall(A)
    assert run.event(A, "app_uninstalled").status == 200
    with run.kettle.db() as session:
        assert session.get(Community, community_a) is None
        assert (
            session.scalar(
                select(func.count()).select_from(Member).where(Member.community_id == community_a)
            )
            == 0
        )
        assert session.get(Community, community_b) is not None
        assert set(session.scalars(select(Delivery.key))) == {"waiting:b"}
    assert not _installed(run, A) and _installed(run, B)


def test_tokens_revoked_forgets_the_token_keeps_the_data_until_installed_again(
    start: object,
) -> None:
    run: Running = start(on_uninstall="delete")  # type: ignore[operator]
    run.install(A, A_CONVENOR)
    run.install(B, B_CONVENOR)
    run.community(A, A_COP, A_CONVENOR, A_MEMBER)
    community_b = run.community(B, B_COP, B_CONVENOR, B_MEMBER)
    run.fake.oauth.revoke(B)
    assert run.event(B, "tokens_revoked", bot=["UBOTB"]).status == 200
    assert not _installed(run, B) and _installed(run, A)
    with run.kettle.db() as session:
        assert session.get(Community, community_b) is not None
    run_tick(run.rt, now=MONDAY_0930_LONDON)
    assert {c for c, _ in posts_by_token(run.fake)} == {A_CONVENOR, A_MEMBER}
    # A request from there now is told to install again, and nothing is tried with the token.
    run.fake.reset_calls()
    run.command(B, B_MEMBER, "/story", B_COP)
    assert "not installed in this workspace any more" in run.fake.responses[-1]["text"]
    assert run.fake.tokens_used("views.open") == []


@pytest.mark.parametrize("how", ["replayed", "forged", "other browser", "cancelled"])
def test_a_bad_or_replayed_state_is_refused_with_a_page_a_person_understands(
    start: object, how: str
) -> None:
    run: Running = start()  # type: ignore[operator]
    page = run.kettle.get("/slack/install")
    cookie = page.headers["set-cookie"].split(";")[0]
    link = html.unescape(re.search(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page.text)[1])
    back = run.kettle.get(link, cookie=f"d={A}:{A_CONVENOR}").headers["location"]
    if how == "replayed":
        assert run.kettle.get(back, cookie=cookie).status == 200
        refused = run.kettle.get(back, cookie=cookie)
        expected = "already been used or is too old"
    elif how == "forged":
        forged = re.sub(r"state=[^&]+", "state=made-up", back)
        refused = run.kettle.get(forged, cookie="slack-app-oauth-state=made-up")
        expected = "already been used or is too old"
    elif how == "other browser":
        refused = run.kettle.get(back)
        expected = "did not start in this browser"
    else:  # the person pressed Cancel on Slack's page instead
        refused = run.kettle.get(run.fake.oauth.deny(link.split("?", 1)[1]), cookie=cookie)
        expected = "You chose not to allow Kettle"
    assert refused.status in ((200,) if how == "cancelled" else (400, 401))
    assert expected in refused.text and "Start again" in refused.text
    assert "Traceback" not in refused.text
    installed = [e for e in run.fake.oauth.exchanges if e.get("code")]
    assert len(installed) == (1 if how == "replayed" else 0)


def test_install_links_never_followed_are_forgotten_once_dead(start: object) -> None:
    from bot.models import slack_oauth_states
    from bot.schedules.housekeeping import prune_processed_requests

    run: Running = start()  # type: ignore[operator]
    run.kettle.get("/slack/install")
    run.kettle.get("/slack/install")
    count = select(func.count()).select_from(slack_oauth_states)
    prune_processed_requests()
    with run.kettle.db() as session:
        assert session.scalar(count) == 2  # still good for ten minutes
    with time_machine.travel(time.time() + 11 * 60, tick=True):
        prune_processed_requests()
    with run.kettle.db() as session:
        assert session.scalar(count) == 0


def test_the_install_pages_need_oauth_mode(kettle: Kettle) -> None:
    """With SLACK_BOT_TOKEN (one workspace) there is nothing to install: the paths are absent."""
    assert kettle.get("/slack/install").status == 404
    assert kettle.get("/slack/oauth_redirect?code=x&state=y").status == 404


def test_kettle_serve_in_oauth_mode_installs_a_workspace_and_answers_it(
    tmp_path: Path, world: FakeSlack
) -> None:
    """`kettle serve` as a process: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, no bot token."""
    import signal

    from tests.scenario.test_cli import start_serve

    proc, port = start_serve(
        tmp_path,
        world,
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID=world.oauth.client_id,
        SLACK_CLIENT_SECRET=world.oauth.client_secret,
        KETTLE_COP_CHANNEL="",
        KETTLE_CONVENORS="",
    )
    base = f"http://127.0.0.1:{port}"
    world.oauth.redirect_urls = [base + "/slack/oauth_redirect"]
    try:
        done = install_at(base, B, B_CONVENOR, wait=30)
        assert done.status == 200 and "Kettle is in Second Works" in done.text
        signer = SlackSigner(SIGNING_SECRET, team_id=B, bot_user_id="UBOTB")
        request = signer.slash_command(
            "/story",
            "",
            B_MEMBER,
            channel_id=B_COP,
            trigger_id=world.issue_trigger_id(),
            response_url=world.new_response_url(),
        )
        status, _headers, text = request.post(base + "/slack/events")
        # B has no CoP yet: the person is told so, after Bolt authorized with B's own token
        # (once to install, once for this request).
        assert status == 200 and "for its members" in text
        assert world.tokens_used("auth.test") == [world.oauth.token_of(B)] * 2
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "GET /slack/install" in output and "Traceback" not in output


@pytest.mark.parametrize("notice", ["app_uninstalled", "tokens_revoked"])
def test_one_workspace_by_bot_token_stops_trying_the_dead_token(
    kettle: Kettle, caplog: pytest.LogCaptureFixture, notice: str
) -> None:
    kettle.fake.bot_token_revoked = True
    event = {"type": notice}
    if notice == "tokens_revoked":
        event["tokens"] = {"oauth": [], "bot": [kettle.fake.bot_user_id]}  # type: ignore[assignment]
    caplog.set_level(logging.WARNING, logger="bot.runtime")
    kettle.fake.reset_calls()
    assert kettle.event(event).status == 200
    run_tick(runtime.current(), now=MONDAY_0930_LONDON)
    run_tick(runtime.current(), now=MONDAY_0930_LONDON.replace(minute=31))
    assert kettle.fake.calls_to("chat.postMessage") == []
    assert kettle.fake.calls_to("conversations.open") == []
    said = [r for r in caplog.records if "SLACK_BOT_TOKEN no longer works" in r.getMessage()]
    assert len(said) == 1
    with kettle.db() as session:  # KETTLE_ON_UNINSTALL=keep (the default): all still here
        assert session.scalar(select(func.count()).select_from(Member)) > 0


def test_one_workspace_uninstalled_with_delete_deletes_its_communities(
    kettle: Kettle, engine: Engine
) -> None:
    """KETTLE_ON_UNINSTALL=delete, one workspace: every community is that workspace's."""
    from dataclasses import replace

    settings = replace(kettle.settings, on_uninstall="delete")
    other = Kettle(
        settings, kettle.fake, kettle.session_factory, kettle.client, sender=kettle.sender
    )
    other.start(engine)
    try:
        kettle.fake.bot_token_revoked = True
        assert other.event({"type": "app_uninstalled"}).status == 200
    finally:
        other.stop()
    with kettle.db() as session:
        assert session.scalar(select(func.count()).select_from(Community)) == 0
        assert session.scalar(select(func.count()).select_from(Member)) == 0


def test_socket_mode_and_oauth_together(tmp_path: Path, world: FakeSlack) -> None:
    """Events over Socket Mode from a workspace installed through the HTTP install pages are
    answered with that workspace's token."""
    import signal

    from tests.scenario.test_cli import start_serve

    proc, port = start_serve(
        tmp_path,
        world,
        SLACK_BOT_TOKEN="",
        SLACK_APP_TOKEN=world.app_token,
        SLACK_CLIENT_ID=world.oauth.client_id,
        SLACK_CLIENT_SECRET=world.oauth.client_secret,
        KETTLE_COP_CHANNEL="",
        KETTLE_CONVENORS="",
    )
    base = f"http://127.0.0.1:{port}"
    world.oauth.redirect_urls = [base + "/slack/oauth_redirect"]
    try:
        assert install_at(base, B, B_CONVENOR, wait=30).status == 200
        world.socket_mode.wait_for_connection()
        signer = SlackSigner(SIGNING_SECRET, team_id=B, bot_user_id="UBOTB")
        event = signer.event(signer.app_home_opened_event(B_MEMBER)).payload
        envelope_id = world.socket_send("events_api", event)
        assert world.wait_for_socket_ack(envelope_id) == {"envelope_id": envelope_id}
        deadline = time.monotonic() + 15
        while not world.tokens_used("views.publish") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert world.tokens_used("views.publish") == [world.oauth.token_of(B)]
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "Socket Mode connected" in output and "Traceback" not in output


def test_the_installer_forgotten_leaves_the_workspace_installed(start: object) -> None:
    """A member who installed Kettle asks to be forgotten: their user id goes from the
    installation, its bot token stays, and the workspace's requests and jobs go on with it."""
    run: Running = start()  # type: ignore[operator]
    run.install(A, A_MEMBER)
    run.install(B, B_CONVENOR)
    run.community(A, A_COP, A_CONVENOR, A_MEMBER)
    token_a = run.fake.oauth.token_of(A)
    request = run.signers[A].block_actions(
        A_MEMBER,
        actions=[{"action_id": "membership_forget_delete", "value": "", "type": "button"}],
        response_url=run.fake.new_response_url(),
    )
    assert run.kettle.send(request).status == 200
    run.kettle.settle()
    with run.kettle.db() as session:
        rows = session.execute(
            select(
                slack_installations.c.team_id,
                slack_installations.c.user_id,
                slack_installations.c.user_token,
                slack_installations.c.bot_token,
            ).order_by(slack_installations.c.team_id)
        ).all()
        bots = session.scalars(select(slack_bots.c.bot_token).where(slack_bots.c.team_id == A))
        assert list(bots) == [token_a]
        assert session.scalar(select(Member.id).where(Member.user_id == A_MEMBER)) is None
    assert [tuple(r) for r in rows] == [
        (A, "", None, token_a),
        (B, B_CONVENOR, None, run.fake.oauth.token_of(B)),  # another workspace's is its own
    ]
    run.fake.reset_calls()
    with run.fake.lock:
        run.fake.call_tokens.clear()
    run.command(A, A_CONVENOR, "/story", A_COP)
    assert run.fake.tokens_used("views.open") == [token_a]
    run_tick(run.rt, now=MONDAY_0930_LONDON)
    assert dict(posts_by_token(run.fake)) == {A_CONVENOR: token_a}


def _rebuild_workspace_tables(run: Running, backup: dict[str, object]) -> None:
    """The workspace tables rebuilt from a backup file's rows, as an operator rebuilding a
    database from it by hand would."""
    tables = backup["tables"]
    assert isinstance(tables, dict)
    with run.kettle.db() as session:
        for table in (slack_installations, slack_bots, slack_oauth_states):
            session.execute(delete(table))
            times = [c.name for c in table.c if isinstance(c.type, DateTime)]
            rows = [
                {k: datetime.fromisoformat(v) if k in times and v else v for k, v in row.items()}
                for row in tables[table.name]
            ]
            if rows:
                session.execute(insert(table), rows)


@pytest.mark.parametrize("with_secrets", [False, True], ids=["secrets left out", "with secrets"])
def test_a_database_rebuilt_from_a_backup_is_installed_again_unless_it_kept_the_secrets(
    start: object, with_secrets: bool
) -> None:
    """A backup leaves the workspace's tokens out unless asked: rebuilt from it, Kettle tries no
    token it does not have and goes on once installed again; with them, it goes on at once."""
    run: Running = start()  # type: ignore[operator]
    run.install(A, A_CONVENOR)
    run.community(A, A_COP, A_CONVENOR, A_MEMBER)
    token = run.fake.oauth.token_of(A)
    assert token
    with run.kettle.db() as session:
        text = render(session, fmt="json", purpose="backup", with_secrets=with_secrets)
    assert (token in text) == with_secrets
    _rebuild_workspace_tables(run, json.loads(text))
    run.fake.reset_calls()
    with run.fake.lock:
        run.fake.call_tokens.clear()
    run_tick(run.rt, now=MONDAY_0930_LONDON)
    if with_secrets:
        assert dict(posts_by_token(run.fake)) == {A_CONVENOR: token, A_MEMBER: token}
        return
    assert posts_by_token(run.fake) == []
    run.command(A, A_MEMBER, "/story", A_COP)
    assert "not installed in this workspace any more" in run.fake.responses[-1]["text"]
    assert set(run.fake.call_tokens) <= {None}  # no call with the marker for a token
    assert run.install(A, A_CONVENOR).status == 200
    again = run.fake.oauth.token_of(A)
    run_tick(run.rt, now=MONDAY_0930_LONDON.replace(minute=31))
    assert dict(posts_by_token(run.fake)) == {A_CONVENOR: again, A_MEMBER: again}
