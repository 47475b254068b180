"""Kettle checks its own set-up: the token's scopes against the manifest, every configured
channel, the database, the file store and the scheduler lease. One line per problem, with its fix.

`kettle doctor` prints the lines; `kettle serve` logs them at start (and refuses to start only
where carrying on would be unsafe: see `bot.server`); the convenors' App Home shows the last
result, refreshed in the background at most every `CACHE_SECONDS`, so opening the Home never
waits for Slack.
"""

from __future__ import annotations

import logging
import socket
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

import prompts
from bot import migrate
from bot.config import Settings
from bot.manifest import BOT_SCOPES
from bot.scheduler import LEASE_APPLICATION, SCHEDULER_LOCK_KEY

log = logging.getLogger(__name__)

CACHE_SECONDS = 600.0
COP_ROLE = "the CoP's channel"
MOVEMENT_ROLE = "the movement's channel"


@dataclass(frozen=True)
class Finding:
    check: str  # token, scopes, channels, database, files, lease
    line: str
    problem: bool = True  # False: a note, which sets no exit status
    community_id: int | None = None
    key: str = ""  # which line of prompts/doctor.toml it is


@dataclass(frozen=True)
class ChannelNeed:
    channel: str
    role: str
    setting: str
    private: bool
    community_id: int | None = None


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    checked_at: float = 0.0

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.problem]

    def of(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.check == check]


def _line(key: str, **values: Any) -> str:
    return str(prompts.load("doctor")["lines"][key]).format(**values)


def _error_of(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or "error")


# -- Slack -----------------------------------------------------------------------------------
def granted_scopes(headers: dict[str, Any]) -> set[str] | None:
    """The scopes Slack says the token has: its `X-OAuth-Scopes` header (any case)."""
    for name, value in headers.items():
        if name.lower() == "x-oauth-scopes":
            return {s.strip() for s in str(value).split(",") if s.strip()}
    return None


def check_token(client: WebClient) -> list[Finding]:
    """auth.test: the token works, and has every scope the manifest asks for."""
    try:
        response = client.auth_test()
    except SlackApiError as exc:
        return [Finding("token", _line("token_refused", error=_error_of(exc)))]
    granted = granted_scopes(dict(response.headers or {}))
    if granted is None:
        return [Finding("scopes", _line("scopes_unknown"))]
    return [
        Finding("scopes", _line("scope_missing", scope=scope, reason=reason))
        for scope, reason in sorted(BOT_SCOPES.items())
        if scope not in granted
    ]


def channel_needs(settings: Settings, communities: Iterable[Any] = ()) -> list[ChannelNeed]:
    """Every channel Kettle is configured to use: the settings' and each community's."""
    needs: dict[str, ChannelNeed] = {}

    def add(need: ChannelNeed) -> None:
        if need.channel and need.channel not in needs:
            needs[need.channel] = need

    for community in communities:
        if community.channel_id:
            add(
                ChannelNeed(
                    community.channel_id, COP_ROLE, "KETTLE_COP_CHANNEL", True, community.id
                )
            )
        if community.movement_channel_id:
            add(
                ChannelNeed(
                    community.movement_channel_id,
                    MOVEMENT_ROLE,
                    "KETTLE_MOVEMENT_CHANNEL",
                    False,
                    community.id,
                )
            )
    if settings.cop_channel:
        add(ChannelNeed(settings.cop_channel, COP_ROLE, "KETTLE_COP_CHANNEL", True))
    if settings.movement_channel:
        add(ChannelNeed(settings.movement_channel, MOVEMENT_ROLE, "KETTLE_MOVEMENT_CHANNEL", False))
    return list(needs.values())


def check_channel(client: WebClient, need: ChannelNeed) -> list[Finding]:
    """conversations.info: the channel exists, is private where it must be, and Kettle is in it."""
    where = {"role": need.role, "channel": need.channel, "setting": need.setting}

    def found(key: str, **extra: Any) -> Finding:
        line = _line(key, **where, **extra)
        return Finding(
            "channels", line[0].upper() + line[1:], community_id=need.community_id, key=key
        )

    try:
        channel = client.conversations_info(channel=need.channel)["channel"]
    except SlackApiError as exc:
        error = _error_of(exc)
        if error == "channel_not_found":
            return [found("channel_not_found")]
        return [found("channel_unreadable", error=error)]
    name = str(channel.get("name") or need.channel)
    problems = []
    if need.private and not channel.get("is_private"):
        problems.append(found("channel_public", name=name))
    if channel.get("is_archived"):
        problems.append(found("channel_archived", name=name))
    elif not channel.get("is_member"):
        problems.append(found("channel_not_member", name=name))
    return problems


# -- the database, the files, the lease ------------------------------------------------------
def check_database(engine: Engine) -> list[Finding]:
    url = engine.url.render_as_string(hide_password=False)
    try:
        current = migrate.current_revisions(engine)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        return [Finding("database", _line("database_unreachable", error=type(cause).__name__))]
    head = migrate.head_revisions(url)
    if current != head:
        return [
            Finding(
                "database",
                _line(
                    "database_behind",
                    current=", ".join(sorted(current)) or "no revision (empty)",
                    head=", ".join(sorted(head)),
                ),
            )
        ]
    return []


def check_files(files_dir: Path) -> list[Finding]:
    """Kettle can create the folder and write, then remove, a file in it."""
    try:
        files_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=files_dir, prefix=".kettle-doctor-"):
            pass
    except OSError as exc:
        return [
            Finding(
                "files",
                _line(
                    "files_not_writable", path=files_dir, error=exc.strerror or type(exc).__name__
                ),
            )
        ]
    return []


def _pg_lease_holder(engine: Engine) -> tuple[int, str, str] | None:
    """(backend pid, application name, client address) of the session holding the lease."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT l.pid, COALESCE(a.application_name, ''), COALESCE(host(a.client_addr), "
                "'local') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                "AND l.classid::bigint = :hi AND l.objid::bigint = :lo"
            ),
            {"hi": SCHEDULER_LOCK_KEY >> 32, "lo": SCHEDULER_LOCK_KEY & 0xFFFFFFFF},
        ).first()
    return (int(row[0]), str(row[1]), str(row[2])) if row else None


def _sqlite_lease_holder(database: Path) -> tuple[int, str] | None:
    """(pid, command line) of the process holding `kettle serve`'s lock on a SQLite file."""
    import fcntl

    lock_path = database.with_name(database.name + ".lock")
    if not lock_path.exists():
        return None
    with open(lock_path, encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            held = handle.read().strip()
        else:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return None
    pid = int(held) if held.isdigit() else 0
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        command = ""
    return pid, command.strip()


def check_lease(engine: Engine, *, database_file: Path | None = None) -> list[Finding]:
    """Whoever holds the scheduler lease runs every schedule: a Kettle replica (a note), or
    something else (a problem: no schedule runs anywhere until it lets go)."""
    if engine.dialect.name == "postgresql":
        try:
            holder = _pg_lease_holder(engine)
        except SQLAlchemyError:
            return []  # the database check has said why
        if holder is None:
            return []
        pid, application, address = holder
        who = f"PostgreSQL session {pid} from {address}" + (
            f" ({application})" if application else ""
        )
        if application.startswith(LEASE_APPLICATION):
            return [Finding("lease", _line("lease_kettle", holder=who), problem=False)]
        fix = f"stop that program, or run SELECT pg_terminate_backend({pid})"
        return [Finding("lease", _line("lease_foreign", holder=who, fix=fix))]
    if database_file is None:
        return []
    held = _sqlite_lease_holder(database_file)
    if held is None:
        return []
    pid, command = held
    who = f"process {pid} on {socket.gethostname()}" + (f" ({command[:80]})" if command else "")
    if "serve" in command and ("kettle" in command or "bot.cli" in command):
        return [Finding("lease", _line("lease_kettle", holder=who), problem=False)]
    return [Finding("lease", _line("lease_foreign", holder=who, fix=f"stop process {pid}"))]


# -- all of it -------------------------------------------------------------------------------
def _communities(engine: Engine) -> list[Any]:
    from bot.db import make_session_factory, unit_of_work
    from bot.services import membership

    with unit_of_work(make_session_factory(engine)) as session:
        found = membership.communities(session)
        session.expunge_all()
        return found


def run_checks(
    settings: Settings,
    *,
    client: WebClient,
    engine: Engine,
    lease: bool = True,
    database_file: Path | None = None,
) -> Report:
    """Every check, in the order a person fixes them."""
    findings = check_database(engine)
    communities = _communities(engine) if not findings else []
    token = check_token(client)
    findings += token
    if not any(f.check == "token" for f in token):
        for need in channel_needs(settings, communities):
            findings += check_channel(client, need)
    findings += check_files(settings.files_dir)
    if lease:
        findings += check_lease(engine, database_file=database_file)
    return Report(findings, time.time())


# What `kettle serve` refuses to start with, and why; it logs every other line and carries on
# (a missing scope or a channel Kettle is not in yet: the work it stops waits in the outbox).
UNSAFE_AT_START = {
    "channel_public": "Kettle posts the CoP's confidential stories and check-ins in its channel",
}


def summary(report: Report) -> str:
    count = len(report.problems)
    return _line("summary", count=count) if count else _line("all_well")


class CachedReport:
    """The last report, for the convenors' App Home, which only reads it: a running Kettle
    checks again every `seconds` in a thread of its own (`keep_fresh`), never while a Home
    is being built."""

    def __init__(self, seconds: float = CACHE_SECONDS) -> None:
        self.seconds = seconds
        self.report: Report | None = None
        self._stop = threading.Event()

    def store(self, report: Report) -> None:
        self.report = report

    def keep_fresh(self, settings: Settings, client: WebClient, engine: Engine) -> None:
        self._stop.clear()

        def run() -> None:
            while not self._stop.wait(self.seconds):
                try:
                    self.report = run_checks(settings, client=client, engine=engine, lease=False)
                except Exception:
                    log.exception("the set-up check failed; trying again later")

        threading.Thread(target=run, name="kettle-doctor", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


CACHE = CachedReport()
