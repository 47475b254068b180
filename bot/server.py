"""Starting and stopping a Kettle process: migrate, check Slack, sync members, schedule, serve."""

from __future__ import annotations

import gc
import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot import doctor, migrate, runtime
from bot.app import create_app
from bot.call_worker import CallWorker
from bot.config import Settings
from bot.db import make_engine, make_session_factory, unit_of_work
from bot.delivery import CLAIM_LEASE, Sender
from bot.pacing import PostRateLimiter, SharedSlots
from bot.scheduler import SchedulerService
from bot.schedules import all_setups
from bot.services import hooks as _hooks  # noqa: F401  (registers the capabilities' hooks)
from bot.services import membership
from bot.slack import channel_member_ids, fetch_profile, make_client
from bot.web import make_wsgi_app
from bot.workspaces import Workspaces

log = logging.getLogger("kettle.server")


class StartupError(Exception):
    """Kettle cannot start; the message says what to fix."""


def bootstrap_community(rt: runtime.Runtime, *, team_id: str | None = None) -> None:
    """Create the configured community on the first start (its first convenors from
    KETTLE_CONVENORS), then bring its membership in step with its channel. `team_id` is the
    workspace of SLACK_BOT_TOKEN (the community is that workspace's)."""
    settings, client = rt.settings, rt.client
    with unit_of_work(rt.session_factory) as session:
        stored = membership.configured_community(session)
        is_new = stored is None
        channel = settings.cop_channel or (stored.channel_id if stored else None)
    # Slack first (no transaction open meanwhile); the convenors are only needed for a new one.
    convenors = [fetch_profile(client, user_id) for user_id in settings.convenors] if is_new else []
    if not is_new and settings.convenors:
        log.info("KETTLE_CONVENORS only seeds a new community; convenors stay as Slack left them")
    present = []
    if channel:
        try:
            ids = channel_member_ids(client, channel)
        except SlackApiError as exc:
            raise StartupError(
                f"cannot read the CoP channel {channel} (KETTLE_COP_CHANNEL): "
                f"{exc.response.get('error')} (invite Kettle to the channel)"
            ) from exc
        present = [fetch_profile(client, user_id) for user_id in ids]
    try:
        added, removed = _open_and_sync(rt, convenors, present, team_id)
    except IntegrityError:
        # Another replica created the community a moment ago: it seeded the convenors.
        added, removed = _open_and_sync(rt, [], present, team_id)
    log.info("membership in step with the CoP channel: %d joined, %d left", added, removed)
    tell_convenors_of_unapproved(rt, [p.user_id for p in present if not p.is_bot])
    sync_other_communities(rt)


def sync_other_communities(rt: runtime.Runtime) -> None:
    """Every CoP set up from Slack (`/cop setup`) is brought in step with its own channel too;
    one whose channel Kettle cannot read is logged and left as it is."""
    with unit_of_work(rt.session_factory) as session:
        configured = membership.configured_community(session)
        others = [
            (c.id, c.channel_id)
            for c in membership.communities(session)
            if c.channel_id and (configured is None or c.id != configured.id)
        ]
    for community_id, channel in others:
        try:
            ids = channel_member_ids(rt.client, channel)
        except SlackApiError as exc:
            log.warning("cannot read CoP channel %s: %s", channel, exc.response.get("error"))
            continue
        present = [fetch_profile(rt.client, user_id) for user_id in ids]
        with unit_of_work(rt.session_factory) as session:
            community = membership.community_by_id(session, community_id)
            if community is not None:
                membership.sync_members(session, community, channel_members=present)


def _open_and_sync(
    rt: runtime.Runtime,
    convenors: list[membership.SlackProfile],
    present: list[membership.SlackProfile],
    team_id: str | None = None,
) -> tuple[int, int]:
    with unit_of_work(rt.session_factory) as session:
        community, created = membership.open_community(session, rt.settings)
        if team_id and community.team_id != team_id:
            community.team_id = team_id
        if community.channel_id and community.channel_id == community.movement_channel_id:
            raise StartupError(
                "the movement's channel is the CoP's private channel: set "
                "KETTLE_MOVEMENT_CHANNEL or KETTLE_COP_CHANNEL to tell them apart"
            )
        if created:
            seeded = membership.seed_convenors(session, community, convenors)
            log.info("new community %r; first convenors: %d", community.name, len(seeded))
        return membership.sync_members(session, community, channel_members=present)


def tell_convenors_of_unapproved(rt: runtime.Runtime, channel_user_ids: list[str]) -> None:
    """Once curated, people found in the CoP channel without approval are the convenors' call."""
    import prompts

    with unit_of_work(rt.session_factory) as session:
        community = membership.configured_community(session)
        if community is None:
            return
        unapproved = membership.unapproved_in_channel(session, community, channel_user_ids)
        convenor_ids = [m.user_id for m in membership.convenors(session, community.id)]
        community_id, name, channel = community.id, community.name, community.channel_id
    for user_id in unapproved:
        text = prompts.load("membership")["unapproved_join"].format(
            person=f"<@{user_id}>", channel=channel, community=name, application=""
        )
        for convenor in convenor_ids:
            rt.sender.deliver(
                f"unapproved-at-start:{community_id}:{user_id}:{convenor}", convenor, text=text
            )


def settle_after_start() -> None:
    """What start-up built (modules, models, Bolt's listeners, prompts) lives as long as the
    process; move it out of the garbage collector's sight. Otherwise every full collection walks
    those 130,000 objects again, about 100 ms with every request in flight held still: most of
    the slowest acks under load."""
    gc.collect()
    gc.freeze()


def claim_lease_from(settings: Settings) -> timedelta:
    """KETTLE_CLAIM_LEASE_SECONDS: how long a send in progress is protected from other workers."""
    text = settings.extra.get("KETTLE_CLAIM_LEASE_SECONDS", "").strip()
    return timedelta(seconds=float(text)) if text else CLAIM_LEASE


def sqlite_file(database_url: str) -> Path | None:
    """The SQLite database file a URL names (absolute), or None for PostgreSQL and memory."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.query.get("mode") == "memory":
        return None
    return Path(url.database).resolve()


class OneServePerFile:
    """On SQLite, only one `kettle serve` may use a database file: each would run the scheduler
    (SQLite has no lease to share), so every job would fire twice. An exclusive lock on
    `<db>.lock`, held for the life of the process; the OS drops it when the process ends, however
    it ends, so a killed process never leaves a stale lock behind. (PostgreSQL replicas share
    the scheduler through an advisory lock instead.)"""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # not POSIX: nothing to lock with; run one process by hand
            log.warning("cannot lock %s on this system: run one kettle serve per file", self.path)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115  (held until release)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            who = f" (process {holder})" if holder.isdigit() else ""
            raise StartupError(
                f"another `kettle serve` is using the SQLite database {self.database}{who}: "
                "stop it first, or use PostgreSQL to run several"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the only descriptor drops the lock
            self._file = None


class Server:
    def __init__(self, settings: Settings, *, migrate_on_start: bool = True) -> None:
        self.settings = settings
        self.migrate_on_start = migrate_on_start
        self.engine = make_engine(settings.database_url)
        self.session_factory = make_session_factory(self.engine)
        # One pace per workspace and method for every job here and every other replica.
        self.limiter = PostRateLimiter(slots=SharedSlots(self.session_factory))
        # Web API calls in a process of their own, off the interpreter that answers Slack.
        self.call_worker = (
            CallWorker(settings.api_url, settings.database_url) if settings.call_worker else None
        )
        if self.call_worker is not None:  # a 429 the worker hears holds what waits here too
            self.call_worker.on_hold = self.limiter.pacer.note_held
        # OAuth mode: this client has no token; each workspace's comes from its installation.
        self.client = make_client(
            settings.bot_token or None,
            settings.api_url,
            limiter=self.limiter,
            worker=self.call_worker,
        )
        self.sender = Sender(
            self.client,
            self.session_factory,
            limiter=self.limiter,
            claim_lease=claim_lease_from(settings),
        )
        self.workspaces = (
            Workspaces(
                settings,
                self.engine,
                make_client=lambda token: make_client(
                    token, settings.api_url, limiter=self.limiter, worker=self.call_worker
                ),
                base_sender=self.sender,
            )
            if settings.oauth
            else None
        )
        self.rt = runtime.Runtime(
            settings,
            self.engine,
            self.session_factory,
            self.client,
            self.sender,
            workspaces=self.workspaces,
        )
        self.scheduler = SchedulerService(self.engine, all_setups(), timezone="UTC")
        self.socket_handler: Any = None
        self._wsgi_server: Any = None
        database = sqlite_file(settings.database_url)
        self.file_lock = OneServePerFile(database) if database else None

    def prepare(self) -> None:
        if self.file_lock is not None:
            self.file_lock.acquire()  # before anything else: a second process changes nothing
        if self.migrate_on_start:
            migrate.upgrade(self.engine)
        else:
            migrate.require_current(self.engine)
        if self.call_worker is not None:
            self.call_worker.start()  # its pacing table exists now
        runtime.install(self.rt)
        if self.workspaces is None:
            try:
                auth = self.client.auth_test()
            except SlackApiError as exc:
                raise StartupError(
                    f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')}): "
                    "copy the Bot User OAuth Token again"
                ) from exc
            log.info("connected to Slack as %s in %s", auth.get("user"), auth.get("team"))
            self.limiter.team_id = str(auth.get("team_id") or "")
            self.check_set_up()
            bootstrap_community(self.rt, team_id=auth.get("team_id"))
        else:
            log.info(
                "installing through Slack's OAuth flow: GET /slack/install is the Add to Slack "
                "page; each workspace's CoPs are set up from Slack"
            )
            self.check_set_up()  # each installed workspace with its own token
        self.app = create_app(
            self.settings,
            client=self.client,
            session_factory=self.session_factory,
            sender=self.sender,
            workspaces=self.workspaces,
        )
        self.scheduler.start()
        if not self.scheduler.running:  # a standby replica: say who runs the schedules
            for finding in doctor.check_lease(self.engine):
                (log.warning if finding.problem else log.info)("set-up: %s", finding.line)

    def check_set_up(self) -> None:
        """The doctor's lines, logged at start; refuses to start only where carrying on is
        unsafe (`doctor.UNSAFE_AT_START`). The lease is checked as the scheduler starts."""
        report = doctor.run_checks(
            self.settings,
            client=self.client,
            engine=self.engine,
            lease=False,
            workspaces=self.workspaces,
        )
        doctor.CACHE.store(report)
        doctor.CACHE.keep_fresh(self.settings, self.client, self.engine, self.workspaces)
        for finding in report.findings:
            log.warning("set-up: %s", finding.line)
        for finding in report.problems:
            # Installed by OAuth, one workspace's channel never stops Kettle for the others.
            if finding.key in doctor.UNSAFE_AT_START and self.workspaces is None:
                raise StartupError(
                    f"{finding.line} (Kettle will not start: {doctor.UNSAFE_AT_START[finding.key]})"
                )
        if not report.problems:
            log.info("set-up: %s", doctor.summary(report))

    def scheduler_state(self) -> str:
        return "leader" if self.scheduler.running else "standby"

    def run(self, *, port: int) -> None:
        from waitress.server import create_server

        if self.settings.socket_mode:
            self.connect_socket_mode()
        wsgi = make_wsgi_app(self.app, self.engine, scheduler_state=self.scheduler_state)
        self._wsgi_server = create_server(
            wsgi, host="0.0.0.0", port=port, threads=self.settings.threads, ident="kettle"
        )
        paths = "POST /slack/events, GET /healthz"
        if self.workspaces is not None:
            paths += ", GET /slack/install, GET /slack/oauth_redirect"
        log.info("Kettle listening on :%s (%s)", port, paths)
        settle_after_start()
        self._wsgi_server.run()

    def connect_socket_mode(self) -> None:
        """Open the Socket Mode link: ``apps.connections.open`` (with the app-level token, at
        SLACK_API_URL like every other call), then the WebSocket it names."""
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        self.socket_handler = SocketModeHandler(
            self.app,
            self.settings.app_token,
            web_client=self.client,
            logger=logging.getLogger("kettle.socket_mode"),
        )
        try:
            self.socket_handler.connect()
        except SlackApiError as exc:
            raise StartupError(
                f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): use an "
                "app-level token (xapp-...) with the connections:write scope"
            ) from exc
        if self.socket_handler.client.is_connected():
            log.info("Socket Mode connected")
        else:
            log.warning("Socket Mode link not open yet; retrying in the background")

    def shutdown(self) -> None:
        log.info("stopping")
        if self._wsgi_server is not None:
            self._wsgi_server.close()
        if self.socket_handler is not None:
            self.socket_handler.close()
        self.scheduler.stop()
        doctor.CACHE.stop()
        if self.call_worker is not None:
            self.call_worker.stop()  # after the jobs that call Slack
        runtime.clear()
        self.engine.dispose()
        if self.file_lock is not None:
            self.file_lock.release()
        log.info("stopped cleanly")
