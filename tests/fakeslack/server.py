"""An in-process fake of Slack's Web API, served over real HTTP on 127.0.0.1.

Hand ``fake.api_url`` to ``slack_sdk.WebClient(base_url=...)``. All state lives behind one
lock; the HTTP server runs in a daemon thread.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import mimetypes
import socket
import threading
import time
import zoneinfo
from collections import deque
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from .blockkit import (
    MESSAGE_SURFACE,
    validate_blocks,
    validate_message_text,
    validate_view,
)
from .oauth import OAuth, OAuthError, Team
from .socketmode import SocketMode

__all__ = ["FakeSlack", "HeaderRecorder", "SlackError"]

JSON = dict[str, Any]

TRIGGER_TTL_SECONDS = 3.0
KEEPALIVE_IDLE_SECONDS = 60.0

#: The scopes a bot token is granted unless a test says otherwise: every one a method below needs.
DEFAULT_SCOPES: frozenset[str] = frozenset(
    {
        "commands",
        "chat:write",
        "im:write",
        "im:read",
        "im:history",
        "mpim:write",
        "mpim:read",
        "mpim:history",
        "channels:read",
        "channels:history",
        "channels:manage",
        "channels:join",
        "groups:read",
        "groups:history",
        "groups:write",
        "users:read",
        "team:read",
        "reactions:write",
        "files:read",
        "files:write",
    }
)

# Which scope each method needs, as Slack's method reference lists it. A conversations method
# needs the scope for the kind of conversation it is given: (public, private, im, mpim).
_METHOD_SCOPES: dict[str, str] = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.scheduleMessage": "chat:write",
    "users.info": "users:read",
    "users.list": "users:read",
    "team.info": "team:read",
    "reactions.add": "reactions:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "files.info": "files:read",
    "conversations.join": "channels:join",
}
_CONVERSATION_SCOPES: dict[str, tuple[str, str, str, str]] = {
    "conversations.info": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "conversations.members": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "conversations.history": ("channels:history", "groups:history", "im:history", "mpim:history"),
    "conversations.replies": ("channels:history", "groups:history", "im:history", "mpim:history"),
    "conversations.invite": ("channels:manage", "groups:write", "im:write", "mpim:write"),
    "conversations.kick": ("channels:manage", "groups:write", "im:write", "mpim:write"),
}

# Slack's per-method limits (docs.slack.dev/apis/web-api/rate-limits), per app per workspace:
# (calls, per seconds). Tier 1: 1+ a minute, Tier 2: 20+, Tier 3: 50+, Tier 4: 100+.
# chat.postMessage is special: one a second per channel (short bursts allowed) and a
# workspace-wide ceiling Slack leaves unpublished, taken here as 600 a minute.
_T1, _T2, _T3, _T4 = (1, 60.0), (20, 60.0), (50, 60.0), (100, 60.0)
SLACK_TIERS: dict[str, tuple[int, float]] = {
    "chat.postMessage": (600, 60.0),
    "chat.postEphemeral": _T4,
    "chat.update": _T3,
    "chat.delete": _T3,
    "chat.getPermalink": _T4,
    "chat.scheduleMessage": _T3,
    "conversations.open": _T3,
    "conversations.info": _T3,
    "conversations.members": _T4,
    "conversations.history": _T3,
    "conversations.replies": _T3,
    "conversations.invite": _T3,
    "conversations.kick": _T3,
    "conversations.join": _T3,
    "reactions.add": _T3,
    "users.info": _T4,
    "users.list": _T2,
    "team.info": _T3,
    "auth.test": _T4,
    "views.open": _T4,
    "views.push": _T4,
    "views.update": _T4,
    "views.publish": _T4,
    "files.getUploadURLExternal": _T4,
    "files.completeUploadExternal": _T4,
    "files.info": _T4,
}
DOWNLOAD_CHUNK = 64 * 1024

_TZ_LABELS = {
    ("Europe/London", False): "Greenwich Mean Time",
    ("Europe/London", True): "British Summer Time",
    ("Europe/Paris", False): "Central European Time",
    ("Europe/Paris", True): "Central European Summer Time",
    ("Europe/Berlin", False): "Central European Time",
    ("Europe/Berlin", True): "Central European Summer Time",
    ("America/New_York", False): "Eastern Standard Time",
    ("America/New_York", True): "Eastern Daylight Time",
    ("America/Chicago", False): "Central Standard Time",
    ("America/Chicago", True): "Central Daylight Time",
    ("America/Denver", False): "Mountain Standard Time",
    ("America/Denver", True): "Mountain Daylight Time",
    ("America/Los_Angeles", False): "Pacific Standard Time",
    ("America/Los_Angeles", True): "Pacific Daylight Time",
    ("Asia/Tokyo", False): "Japan Standard Time",
    ("Asia/Kolkata", False): "India Standard Time",
    ("Australia/Sydney", False): "Australian Eastern Standard Time",
    ("Australia/Sydney", True): "Australian Eastern Daylight Time",
    ("UTC", False): "Coordinated Universal Time",
}


class SlackError(Exception):
    """Raised inside method handlers; becomes ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in ("1", "true", "yes")


def _maybe_json(value: Any, name: str) -> Any:
    """``blocks``/``metadata``/``view``... may arrive as JSON strings inside form data."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise SlackError(f"invalid_{name}" if name != "view" else "invalid_arguments") from exc
    return value


def _encode_cursor(kind: str, offset: int) -> str:
    return base64.b64encode(f"{kind}:{offset}".encode()).decode()


def _decode_cursor(cursor: Any, kind: str) -> int:
    if cursor in (None, ""):
        return 0
    try:
        raw = base64.b64decode(str(cursor).encode(), validate=True).decode()
        prefix, _, num = raw.partition(":")
        if prefix != kind:
            raise ValueError(raw)
        return int(num)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SlackError("invalid_cursor") from exc


def _limit(params: JSON, default: int, maximum: int = 1000) -> int:
    raw = params.get("limit")
    if raw in (None, "", 0, "0"):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise SlackError("invalid_limit") from exc
    return max(1, min(value, maximum))


def _paginate(
    items: list[Any], params: JSON, kind: str, default: int, cap: int | None = None
) -> tuple[list[Any], str]:
    """One page and the next cursor; `cap` is Slack returning fewer than `limit` asked for."""
    start = _decode_cursor(params.get("cursor"), kind)
    limit = _limit(params, default)
    if cap is not None:
        limit = min(limit, cap)
    page = items[start : start + limit]
    nxt = _encode_cursor(kind, start + limit) if start + limit < len(items) else ""
    return page, nxt


def _parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[bytes, str | None]]:
    """Minimal multipart/form-data parser: name -> (bytes, filename)."""
    boundary = ""
    for part in content_type.split(";"):
        part = part.strip()
        if part.startswith("boundary="):
            boundary = part[len("boundary=") :].strip('"')
    if not boundary:
        return {}
    out: dict[str, tuple[bytes, str | None]] = {}
    for chunk in body.split(b"--" + boundary.encode()):
        chunk = chunk.strip(b"\r\n")
        if not chunk or chunk == b"--":
            continue
        head, _, data = chunk.partition(b"\r\n\r\n")
        name: str | None = None
        filename: str | None = None
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition"):
                for item in line.split(";"):
                    key, _, val = item.strip().partition("=")
                    if key == "name":
                        name = val.strip('"')
                    elif key == "filename":
                        filename = val.strip('"')
        if name is not None:
            out[name] = (data, filename)
    return out


def _clone(value: Any) -> Any:
    """A copy of JSON-shaped data (dicts and lists of scalars): what `copy.deepcopy` gives for
    it, without deepcopy's memo and dispatch, which made copying views and messages most of the
    fake's CPU; the fake shares the machine with the app it is measuring."""
    kind = type(value)
    if kind is dict:
        return {k: _clone(v) for k, v in value.items()}
    if kind is list:
        return [_clone(v) for v in value]
    if kind is tuple:
        return tuple(_clone(v) for v in value)
    return value


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver listens with a backlog of 5: a burst of new connections past that waits for
    # the client's SYN to be retried a second later, a delay Slack's own servers never add.
    request_queue_size = 1024
    fake: FakeSlack
    #: TCP connections accepted so far: a client keeping its connections open opens few.
    connections_accepted = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections_accepted += 1  # one accepting thread: no lock needed
        super().process_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # An idle kept-alive connection is closed after this many seconds, as Slack's edge does.
    timeout = KEEPALIVE_IDLE_SECONDS
    # The status line and headers go in one write and the body in another: with Nagle's
    # algorithm the body would wait for the client's delayed ACK (40 ms) on a kept-alive link.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        self.server.fake._handle(self, "POST")

    def do_GET(self) -> None:
        self.server.fake._handle(self, "GET")


class FakeSlack:
    """A stateful, thread-safe fake of the Slack Web API.

    Usage::

        with FakeSlack() as fake:
            client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    """

    def __init__(
        self,
        bot_token: str = "xoxb-test",
        *,
        app_token: str = "xapp-1-A0001-1-test",
        team_id: str = "T0001",
        team_name: str = "Kettle Test",
        team_domain: str = "kettle-test",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        bot_name: str = "kettle",
        app_id: str = "A0001",
        ts_base: float | None = 1_700_000_000.0,
        trigger_ttl: float = TRIGGER_TTL_SECONDS,
        host: str = "127.0.0.1",
    ) -> None:
        #: The address to listen on: loopback, or "0.0.0.0" for containers to reach it.
        self.host = host
        self.bot_token = bot_token
        #: The app-level token: the only one ``apps.connections.open`` accepts.
        self.app_token = app_token
        #: The workspace of ``bot_token``; OAuth installs add others (``fake.oauth.add_team``).
        self._primary = Team(team_id, team_name, team_domain, bot_user_id, bot_id)
        #: The workspace the request being answered acts in (per HTTP thread).
        self._acting = threading.local()
        self.bot_name = bot_name
        self.app_id = app_id
        self.trigger_ttl = trigger_ttl
        #: The bot token's scopes, sent back in every answer's ``X-OAuth-Scopes`` header; a
        #: method needing one not here answers ``missing_scope`` (with ``needed`` and ``provided``).
        self.scopes: set[str] = set(DEFAULT_SCOPES)
        #: Monotonic clock used for trigger expiry and rate limiting; replace in tests.
        self.clock: Callable[[], float] = time.monotonic
        #: Wall clock used for ``created`` fields and ``chat.scheduleMessage`` checks.
        self.wall_clock: Callable[[], float] = time.time

        self.lock = threading.RLock()
        base = ts_base if ts_base is not None else time.time()
        self._ts_us = int(base) * 1_000_000
        self._ids = itertools.count(1)

        self.users: dict[str, JSON] = {}
        self.channels: dict[str, JSON] = {}
        self._members: dict[str, list[str]] = {}
        self._dm_by_user: dict[str, str] = {}
        self._mpim_by_users: dict[tuple[str, ...], str] = {}
        self._messages: dict[str, list[JSON]] = {}
        self.ephemerals: list[JSON] = []
        self.scheduled: list[JSON] = []
        self.views: dict[str, JSON] = {}
        self.views_opened: list[JSON] = []
        self.views_pushed: list[JSON] = []
        self.views_updated: list[JSON] = []
        self.homes: dict[str, list[JSON]] = {}
        self.files: dict[str, JSON] = {}
        self.file_contents: dict[str, bytes] = {}
        #: How a file's download is answered: {"redirect": url, "send_length": bool}.
        self._file_serving: dict[str, JSON] = {}
        #: Bytes of each file's body actually written to a downloader (a client that hangs up
        #: early leaves this short of the file's size).
        self.download_bytes_sent: dict[str, int] = {}
        self._download_gate: threading.Event | None = None
        self._pending_uploads: dict[str, JSON] = {}
        self.triggers: dict[str, float] = {}
        self._used_triggers: set[str] = set()
        self._response_urls: set[str] = set()
        self.responses: list[JSON] = []
        self.calls: list[tuple[str, JSON]] = []
        #: The workspace removed the app (or revoked ``bot_token``): it answers token_revoked.
        self.bot_token_revoked = False
        #: (method, token) of every Web API call: which workspace's token made it.
        self.call_tokens: list[tuple[str, str | None]] = []

        self._faults: dict[str, deque[tuple[str, int, int]]] = {}
        self._rate_per_method: dict[str, tuple[int, float]] = {}
        self._rate_per_channel: int | None = None
        self._rate_channel_window = 1.0
        self._rate_hits: dict[str, deque[float]] = {}
        self.ratelimited_count = 0
        #: At most this many messages a page of conversations.history/replies, whatever `limit`
        #: asks ("fewer than the requested number of items may be returned"); None: `limit`.
        self.max_page: int | None = None

        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._bind()

        self.users[bot_user_id] = self._make_user(
            bot_user_id, bot_name, tz=None, is_bot=True, real_name=bot_name.title()
        )
        self.users[bot_user_id]["profile"]["bot_id"] = bot_id

        self._methods: dict[str, Callable[[JSON], JSON]] = {
            "api.test": lambda p: {"args": p},
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "team.info": self._team_info,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.invite": self._conversations_invite,
            "conversations.kick": self._conversations_kick,
            "conversations.join": self._conversations_join,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.scheduleMessage": self._chat_schedule_message,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "reactions.add": self._reactions_add,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "files.info": self._files_info,
        }
        self.socket_mode = SocketMode(self)
        #: Slack's OAuth v2 for this app: the authorize page and ``oauth.v2.access``.
        self.oauth = OAuth(self)
        self.oauth.teams[team_id] = self._primary
        #: Methods that take the app-level token (and refuse bot tokens).
        self._app_methods: dict[str, Callable[[JSON], JSON]] = {
            "apps.connections.open": self.socket_mode.connections_open,
        }

    # ------------------------------------------------------------------ workspaces
    @property
    def team(self) -> Team:
        """The workspace acting now: the calling token's, else ``bot_token``'s."""
        return getattr(self._acting, "team", None) or self._primary

    @property
    def team_id(self) -> str:
        return self.team.id

    @property
    def team_name(self) -> str:
        return self.team.name

    @property
    def team_domain(self) -> str:
        return self.team.domain

    @property
    def bot_user_id(self) -> str:
        return self.team.bot_user_id

    @property
    def bot_id(self) -> str:
        return self.team.bot_id

    def acting_as(self, team_id: str | None) -> _Acting:
        """Seed or inspect another workspace: ``with fake.acting_as("T2"): fake.add_channel(...)``."""
        return _Acting(self, self.oauth.teams[team_id] if team_id else None)

    def tokens_used(self, method: str) -> list[str | None]:
        with self.lock:
            return [t for m, t in self.call_tokens if m == method]

    # ------------------------------------------------------------------ lifecycle
    def _bind(self) -> _Server:
        if self._httpd is None:
            httpd = _Server((self.host, 0), _Handler)
            httpd.fake = self
            self._httpd = httpd
        return self._httpd

    def start(self) -> FakeSlack:
        """Serve in a daemon thread (the port is bound at construction time)."""
        if self._thread is not None:
            return self
        httpd = self._bind()
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.socket_mode.close_all()
        if self._thread is not None:
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def connections_accepted(self) -> int:
        """TCP connections the fake has accepted since it started."""
        return self._httpd.connections_accepted if self._httpd is not None else 0

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeSlack is stopped")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ id / ts helpers
    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _next_ts(self) -> str:
        with self.lock:
            self._ts_us += 100
            return f"{self._ts_us // 1_000_000}.{self._ts_us % 1_000_000:06d}"

    def _now(self) -> int:
        return int(self.wall_clock())

    # ------------------------------------------------------------------ seeding helpers
    def _make_user(
        self,
        user_id: str,
        name: str,
        *,
        tz: str | None,
        is_bot: bool = False,
        real_name: str | None = None,
        display_name: str | None = None,
        deleted: bool = False,
        email: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> JSON:
        real = real_name if real_name is not None else name.replace(".", " ").title()
        display = display_name if display_name is not None else name
        profile: JSON = {
            "real_name": real,
            "display_name": display,
            "real_name_normalized": real,
            "display_name_normalized": display,
            "first_name": real.split(" ")[0] if real else "",
            "last_name": " ".join(real.split(" ")[1:]),
            "image_72": f"https://avatars.example/{user_id}_72.png",
            "team": self.team_id,
        }
        if email is not None:
            profile["email"] = email
        user: JSON = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real,
            "profile": profile,
            # Slack: owners are admins too; the primary owner is an owner.
            "is_admin": is_admin or is_owner,
            "is_owner": is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
        }
        if tz is not None:
            zone = zoneinfo.ZoneInfo(tz)
            now = datetime.now(zone)
            offset = now.utcoffset()
            dst = bool(now.dst())
            user["tz"] = tz
            user["tz_label"] = _TZ_LABELS.get((tz, dst), now.tzname() or tz)
            user["tz_offset"] = int(offset.total_seconds()) if offset is not None else 0
        return user

    def add_user(
        self,
        user_id: str,
        name: str,
        tz: str | None = "Europe/London",
        *,
        real_name: str | None = None,
        display_name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        email: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> JSON:
        """Add (or replace) a workspace user; returns a copy of the Slack user object.
        ``is_admin`` / ``is_owner`` are the workspace roles users.info reports."""
        user = self._make_user(
            user_id,
            name,
            tz=tz,
            is_bot=is_bot,
            real_name=real_name,
            display_name=display_name,
            deleted=deleted,
            email=email,
            is_admin=is_admin,
            is_owner=is_owner,
        )
        with self.lock:
            self.users[user_id] = user
            return _clone(user)

    def add_channel(
        self,
        channel_id: str,
        name: str,
        is_private: bool = True,
        members: list[str] | None = None,
        *,
        bot_is_member: bool = True,
    ) -> JSON:
        """Add a channel. The bot is a member unless ``bot_is_member=False``."""
        mem = list(members or [])
        if bot_is_member and self.bot_user_id not in mem:
            mem.append(self.bot_user_id)
        chan: JSON = {
            "id": channel_id,
            "name": name,
            "name_normalized": name,
            "is_channel": not is_private,
            "is_group": is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": is_private,
            "is_archived": False,
            "is_general": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "created": self._now(),
            "creator": self.bot_user_id,
            "context_team_id": self.team_id,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }
        with self.lock:
            self.channels[channel_id] = chan
            self._members[channel_id] = mem
            self._messages.setdefault(channel_id, [])
            return _clone(chan)

    def archive_channel(self, channel_id: str, archived: bool = True) -> None:
        """Archive (or unarchive) a channel: posting and inviting then answer ``is_archived``."""
        with self.lock:
            self.channels[channel_id]["is_archived"] = archived

    def restrict_posting(self, channel_id: str, restricted: bool = True) -> None:
        """A workspace admin lets only some people post in the channel (Kettle not among them):
        chat.postMessage answers ``restricted_action``."""
        with self.lock:
            self.channels[channel_id]["_posting_restricted"] = restricted

    def make_guest(self, user_id: str, *, single_channel: bool = False) -> None:
        """Turn a user into a guest: a multi-channel guest (``is_restricted``) cannot be invited
        by an app (``user_is_restricted``); a single-channel guest already in a channel cannot
        join another (``ura_max_channels``)."""
        with self.lock:
            user = self.users[user_id]
            user["is_restricted"] = True
            user["is_ultra_restricted"] = single_channel

    def deactivate_user(self, user_id: str) -> None:
        """A workspace admin deactivates the account: ``deleted`` is true and a DM cannot be
        opened with them (``user_disabled``)."""
        with self.lock:
            self.users[user_id]["deleted"] = True

    def set_members(self, channel_id: str, members: list[str]) -> None:
        with self.lock:
            self._members[channel_id] = list(members)

    def members_of(self, channel_id: str) -> list[str]:
        with self.lock:
            return list(self._members.get(channel_id, []))

    def dm_channel_for(self, user_id: str) -> str:
        """Stable DM channel id for a user (creates the IM if needed)."""
        with self.lock:
            return self._ensure_dm(user_id)

    def dm_channel_as(self, user_id: str, dm_id: str) -> str:
        """The user's DM with the bot gets this id (before anything is sent there)."""
        with self.lock:
            assert user_id not in self._dm_by_user, "their DM is open already"
            return self._ensure_dm(user_id, dm_id)

    def _ensure_dm(self, user_id: str, dm_id: str | None = None) -> str:
        if user_id in self._dm_by_user:
            return self._dm_by_user[user_id]
        dm_id = dm_id or self._new_id("D")
        self._dm_by_user[user_id] = dm_id
        self.channels[dm_id] = {
            "id": dm_id,
            "created": self._now(),
            "is_im": True,
            "is_org_shared": False,
            "context_team_id": self.team_id,
            "user": user_id,
            "is_user_deleted": bool(self.users.get(user_id, {}).get("deleted")),
            "priority": 0,
            "is_open": True,
        }
        self._members[dm_id] = [user_id, self.bot_user_id]
        self._messages.setdefault(dm_id, [])
        return dm_id

    def add_message(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list[JSON] | None = None,
        **extra: Any,
    ) -> JSON:
        """Seed a message from a (human) user; returns the stored message."""
        msg: JSON = {"type": "message", "user": user, "text": text, "team": self.team_id}
        if blocks is not None:
            msg["blocks"] = blocks
        msg.update(extra)
        with self.lock:
            if channel not in self.channels:
                raise KeyError(channel)
            return _clone(self._store_message(channel, msg, thread_ts))

    def add_file(
        self,
        user_id: str,
        name: str,
        mimetype: str,
        content: bytes,
        filetype: str,
        *,
        title: str | None = None,
        declared_size: int | None = None,
        send_length: bool = True,
    ) -> JSON:
        """Simulate a file uploaded by a user; returns a Slack-shaped file object.

        `declared_size` is the size the file object claims (Slack's word, or a forger's);
        `send_length=False` serves the download without a Content-Length, ended by closing."""
        with self.lock:
            file_id = self._new_id("F")
            obj = self._make_file(file_id, name, title or name, user_id, content, mimetype)
            obj["filetype"] = filetype
            if declared_size is not None:
                obj["size"] = declared_size
            self._file_serving[file_id] = {"send_length": send_length}
            return _clone(obj)

    def redirect_download(self, file_id: str, location: str) -> None:
        """An authenticated download of the file answers 302 to `location` (as Slack sends
        some downloads on to another of its hosts)."""
        with self.lock:
            self._file_serving.setdefault(file_id, {})["redirect"] = location

    def origin_url(self, file_id: str) -> str:
        """Where the file is served on a second path of this fake, like Slack's file origin."""
        with self.lock:
            meta = self.files[file_id]
            return f"{self.base_url}/files-origin/{self.team_id}-{file_id}/{quote(meta['name'])}"

    def hold_downloads(self) -> threading.Event:
        """Downloads wait (up to 30 s) until the returned event is set."""
        gate = threading.Event()
        with self.lock:
            self._download_gate = gate
        return gate

    def downloads(self) -> list[JSON]:
        """Every request for a file's bytes: its path and the Authorization header it carried."""
        return self.calls_to("<download>")

    def issue_trigger_id(self) -> str:
        """A fresh trigger id, valid for ``trigger_ttl`` seconds of ``fake.clock``."""
        with self.lock:
            n = next(self._ids)
            trigger = f"{n}.{1000 + n}.{'%032x' % (n * 7919)}"
            self.triggers[trigger] = self.clock()
            return trigger

    def new_response_url(self) -> str:
        """A ``response_url`` served by the fake; POSTs land in ``fake.responses``."""
        with self.lock:
            url_id = self._new_id("R")
            self._response_urls.add(url_id)
        return f"{self.base_url}/response/{url_id}"

    # ------------------------------------------------------------------ faults / limits
    def fail_next(
        self, method: str, status: int = 429, retry_after: int = 1, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP ``status``."""
        with self.lock:
            q = self._faults.setdefault(method, deque())
            for _ in range(times):
                q.append(("status", status, retry_after))

    def clear_faults(self, method: str | None = None) -> None:
        """Forget injected failures (of one method, or all): Slack is back."""
        with self.lock:
            if method is None:
                self._faults.clear()
            else:
                self._faults.pop(method, None)

    def drop_next(self, method: str, times: int = 1) -> None:
        """Close the connection without answering the next ``times`` calls of ``method``."""
        with self.lock:
            q = self._faults.setdefault(method, deque())
            for _ in range(times):
                q.append(("drop", 0, 0))

    def enforce_rate_limits(
        self,
        per_method: dict[str, tuple[int, float]] | None = None,
        per_channel_post_per_second: int | None = None,
    ) -> None:
        """Enforce sliding-window limits: ``{"chat.postMessage": (n, per_seconds)}`` and/or
        at most N ``chat.postMessage`` per channel per second. Pass nothing to disable."""
        with self.lock:
            self._rate_per_method = dict(per_method or {})
            self._rate_per_channel = per_channel_post_per_second
            self._rate_channel_window = 1.0
            self._rate_hits.clear()

    def enforce_slack_tiers(self, scale: float = 1.0, *, post_burst: int = 3) -> None:
        """Enforce Slack's own limits (docs.slack.dev/apis/web-api/rate-limits), per workspace:
        each method's tier, chat.postMessage's workspace-wide ceiling, and one post a second
        per channel allowing short bursts (``post_burst`` within as many seconds). Every window
        is divided by ``scale``, so that a benchmark can run Slack's limits faster."""
        with self.lock:
            self._rate_per_method = {
                m: (n, window / scale) for m, (n, window) in SLACK_TIERS.items()
            }
            self._rate_per_channel = post_burst
            self._rate_channel_window = post_burst / scale
            self._rate_hits.clear()

    def _check_window(self, key: str, limit: int, window: float, now: float) -> int | None:
        hits = self._rate_hits.setdefault(key, deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= limit:
            return max(1, math.ceil(hits[0] + window - now))
        return None

    def _rate_limit(self, method: str, params: JSON) -> int | None:
        now = self.clock()
        checks: list[tuple[str, int, float]] = []
        if method in self._rate_per_method:
            n, per = self._rate_per_method[method]
            checks.append((f"m:{method}", n, per))
        if self._rate_per_channel is not None and method == "chat.postMessage":
            channel = str(params.get("channel") or "")
            chan = self.channels.get(channel) or {}
            if chan.get("is_im"):  # a DM is the same channel whether named by D… or U… id
                channel = str(chan.get("user"))
            checks.append((f"c:{channel}", self._rate_per_channel, self._rate_channel_window))
        retry: int | None = None
        for key, n, per in checks:
            r = self._check_window(key, n, per, now)
            if r is not None:
                retry = max(retry or 0, r)
        if retry is not None:
            return retry
        for key, _, _ in checks:
            self._rate_hits[key].append(now)
        return None

    # ------------------------------------------------------------------ Socket Mode
    def socket_send(
        self,
        envelope_type: str,
        payload: JSON,
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Push a Socket Mode envelope to the app; returns its ``envelope_id``.
        See :meth:`tests.fakeslack.socketmode.SocketMode.send`."""
        return self.socket_mode.send(
            envelope_type,
            payload,
            accepts_response_payload=accepts_response_payload,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
        )

    def wait_for_socket_ack(self, envelope_id: str, timeout: float = 30.0) -> JSON:
        """The app's ``{"envelope_id", "payload"?}`` acknowledgement of an envelope."""
        return self.socket_mode.wait_for_ack(envelope_id, timeout)

    @property
    def socket_acks(self) -> dict[str, JSON]:
        with self.socket_mode.cond:
            return _clone(self.socket_mode.acks)

    def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send ``{"type": "disconnect"}`` down the live link: the app should reconnect."""
        self.socket_mode.disconnect(reason)

    # ------------------------------------------------------------------ queries
    def calls_to(self, method: str) -> list[JSON]:
        with self.lock:
            return [_clone(p) for m, p in self.calls if m == method]

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()

    def messages(self, channel: str) -> list[JSON]:
        """All messages (top-level and thread replies) in a channel, oldest first."""
        with self.lock:
            return _clone(self._messages.get(channel, []))

    def dm_messages(self, user_id: str) -> list[JSON]:
        with self.lock:
            dm = self._dm_by_user.get(user_id)
            return _clone(self._messages.get(dm, [])) if dm else []

    def ephemerals_for(self, user_id: str) -> list[JSON]:
        with self.lock:
            return [_clone(e) for e in self.ephemerals if e["user"] == user_id]

    def last_view(self) -> JSON | None:
        """The most recently opened/pushed/updated/published view."""
        with self.lock:
            if not self.views:
                return None
            latest = max(self.views.values(), key=lambda v: v["_seq"])
            return self._public_view(latest)

    def view(self, view_id: str) -> JSON | None:
        with self.lock:
            v = self.views.get(view_id)
            return self._public_view(v) if v else None

    def home(self, user_id: str) -> JSON | None:
        with self.lock:
            pubs = self.homes.get(user_id)
            return _clone(pubs[-1]) if pubs else None

    def file_bytes(self, file_id: str) -> bytes | None:
        with self.lock:
            return self.file_contents.get(file_id)

    # ------------------------------------------------------------------ HTTP plumbing
    def _handle(self, h: _Handler, verb: str) -> None:
        split = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        path = split.path
        try:
            if path.startswith("/api/"):
                self._handle_api(h, path[len("/api/") :], split.query, raw)
            elif path.startswith("/upload/v1/") and verb == "POST":
                self._handle_upload(h, path.rsplit("/", 1)[-1], raw)
            elif path.startswith(("/files-pri/", "/files-origin/")) and verb == "GET":
                self._handle_download(h, path)
            elif path.startswith("/response/") and verb == "POST":
                self._handle_response_url(h, path.rsplit("/", 1)[-1], raw)
            elif path == "/link/" and verb == "GET":
                self.socket_mode.handle_upgrade(h, split.query)
            elif path == "/oauth/v2/authorize" and verb == "GET":
                status, headers, body = self.oauth.authorize(split.query, h.headers.get("Cookie"))
                self._send(h, status, body, "text/html", headers)
            elif path == "/signin":
                self._send(h, 200, b"<html><body>Sign in to Slack</body></html>", "text/html")
            else:
                self._send(h, 404, b"not found", "text/plain")
        except _Dropped:
            return

    def _send(
        self,
        h: _Handler,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        # HTTP/1.1 as Slack speaks it: the connection stays open for the client's next call
        # unless the client asked to close it (urllib does; a pooled client does not).
        if h.close_connection:
            h.send_header("Connection", "close")
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _send_json(
        self, h: _Handler, payload: JSON, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(payload).encode()
        self._send(h, status, body, "application/json; charset=utf-8", headers)

    def _drop(self, h: _Handler) -> None:
        h.close_connection = True
        try:
            h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise _Dropped

    def _parse_params(self, h: _Handler, query: str, raw: bytes) -> JSON:
        params: JSON = dict(parse_qsl(query, keep_blank_values=True))
        ctype = (h.headers.get("Content-Type") or "").lower()
        if not raw:
            return params
        if ctype.startswith("application/json"):
            try:
                body = json.loads(raw.decode("utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise SlackError("invalid_json") from exc
            if not isinstance(body, dict):
                raise SlackError("invalid_json")
            params.update(body)
        elif ctype.startswith("multipart/form-data"):
            for name, (data, filename) in _parse_multipart(raw, ctype).items():
                params[name] = data if filename else data.decode("utf-8", "replace")
        else:
            params.update(dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)))
        return params

    def _bearer(self, h: _Handler) -> str | None:
        auth = h.headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return None

    def _handle_api(self, h: _Handler, method: str, query: str, raw: bytes) -> None:
        try:
            params = self._parse_params(h, query, raw)
        except SlackError as exc:
            self._send_json(h, {"ok": False, "error": exc.error})
            return
        token = self._bearer(h) or params.pop("token", None)
        params.pop("token", None)
        with self.lock:
            self.calls.append((method, _clone(params)))
            self.call_tokens.append((method, token))
            fault = self._faults.get(method)
            action = fault.popleft() if fault else None
            retry_after: int | None = None
            if action is None and method in self._methods and token == self.bot_token:
                retry_after = self._rate_limit(method, params)
            if (action and action[0] == "status" and action[1] == 429) or retry_after is not None:
                self.ratelimited_count += 1
        if action is not None:
            kind, status, ra = action
            if kind == "drop":
                self._drop(h)
            if status == 429:
                self._send_json(
                    h, {"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(ra)}
                )
            else:
                self._send(h, status, b"<html>Server error</html>", "text/html")
            return
        if retry_after is not None:
            self._send_json(
                h, {"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(retry_after)}
            )
            return
        if method == "oauth.v2.access":  # the app's own credentials, not a token
            try:
                payload = {"ok": True, **self.oauth.access(params, h.headers.get("Authorization"))}
            except OAuthError as exc:
                payload = {"ok": False, "error": exc.error}
            self._send_json(h, payload)
            return
        if not token:
            self._send_json(h, {"ok": False, "error": "not_authed"})
            return
        acting: Team | None = None
        if self.oauth.knows(token):
            try:
                acting = self.oauth.team_for(token)
            except OAuthError as exc:
                self._send_json(h, {"ok": False, "error": exc.error})
                return
        elif token not in (self.bot_token, self.app_token):
            self._send_json(h, {"ok": False, "error": "invalid_auth"})
            return
        elif token == self.bot_token and self.bot_token_revoked:
            self._send_json(h, {"ok": False, "error": "token_revoked"})
            return
        table = self._app_methods if token == self.app_token else self._methods
        scope_header = {"X-OAuth-Scopes": ",".join(sorted(self.scopes))}
        if token == self.bot_token and method in table:
            with self.lock:
                needed = self._needed_scope(method, params)
            if needed is not None and needed not in self.scopes:
                self._send_json(
                    h,
                    {
                        "ok": False,
                        "error": "missing_scope",
                        "needed": needed,
                        "provided": ",".join(sorted(self.scopes)),
                    },
                    headers=scope_header,
                )
                return
        fn = table.get(method)
        if fn is None and method in {**self._methods, **self._app_methods}:
            self._send_json(h, {"ok": False, "error": "not_allowed_token_type"})
            return
        if fn is None:
            self._send_json(h, {"ok": False, "error": "unknown_method", "req_method": method})
            return
        self._acting.team = acting
        try:
            with self.lock:
                result = fn(params)
            payload: JSON = {"ok": True, **result}
        except SlackError as exc:
            payload = {"ok": False, "error": exc.error, **exc.extra}
        finally:
            self._acting.team = None
        if acting is not None:  # a workspace's own token: the scopes its install approved
            scope_header = {"X-OAuth-Scopes": self.oauth.scopes_of(acting.id)}
        elif token != self.bot_token:
            scope_header = {}
        self._send_json(h, payload, headers=scope_header or None)

    def _needed_scope(self, method: str, params: JSON) -> str | None:
        """The scope a call needs, or None when the method needs none (or the channel is
        unknown: the method then answers channel_not_found itself)."""
        if method in _METHOD_SCOPES:
            return _METHOD_SCOPES[method]
        if method == "conversations.open":
            users = [u for u in str(params.get("users") or "").split(",") if u.strip()]
            return "mpim:write" if len(users) > 1 else "im:write"
        kinds = _CONVERSATION_SCOPES.get(method)
        chan = self.channels.get(str(params.get("channel") or ""))
        if kinds is None or chan is None:
            return None
        if chan.get("is_im"):
            return kinds[2]
        if chan.get("is_mpim"):
            return kinds[3]
        return kinds[1] if chan.get("is_private") else kinds[0]

    def _handle_upload(self, h: _Handler, file_id: str, raw: bytes) -> None:
        with self.lock:
            self.calls.append(("<upload>", {"file_id": file_id, "size": len(raw)}))
            fault = self._faults.get("<upload>")
            action = fault.popleft() if fault else None
        if action is not None:
            if action[0] == "drop":
                self._drop(h)
            self._send(h, action[1], b"error", "text/plain")
            return
        ctype = (h.headers.get("Content-Type") or "").lower()
        data = raw
        if ctype.startswith("multipart/form-data"):
            parts = _parse_multipart(raw, ctype)
            for name in ("file", "filename"):
                if name in parts:
                    data = parts[name][0]
                    break
            else:
                data = next(iter(parts.values()))[0] if parts else b""
        with self.lock:
            pending = self._pending_uploads.get(file_id)
            if pending is None:
                self._send(h, 404, b"file not found", "text/plain")
                return
            pending["content"] = data
        self._send(h, 200, f"OK - {len(data)}".encode(), "text/plain")

    def _handle_download(self, h: _Handler, path: str) -> None:
        parts = path.split("/")
        # /files-pri/<team>-<file_id>/download/<name>  or  /files-pri/<team>-<file_id>/<name>
        file_id = parts[2].split("-", 1)[-1] if len(parts) > 2 else ""
        with self.lock:
            self.calls.append(
                (
                    "<download>",
                    {
                        "path": path,
                        "file_id": file_id,
                        "authorization": h.headers.get("Authorization") or "",
                    },
                )
            )
            content = self.file_contents.get(file_id)
            meta = self.files.get(file_id)
            serving = dict(self._file_serving.get(file_id) or {})
            gate = self._download_gate
        bearer = self._bearer(h) or ""
        if bearer != self.bot_token and not self._live_oauth_token(bearer):
            # Slack answers unauthenticated downloads with a redirect to an HTML sign-in page.
            self._send(h, 302, b"", "text/html", {"Location": f"{self.base_url}/signin"})
            return
        if gate is not None:
            gate.wait(timeout=30)
        if content is None or meta is None:
            self._send(h, 404, b"not found", "text/plain")
            return
        if serving.get("redirect") and path.startswith("/files-pri/"):
            self._send(h, 302, b"", "text/plain", {"Location": str(serving["redirect"])})
            return
        h.send_response(200)
        h.send_header("Content-Type", meta.get("mimetype") or "application/octet-stream")
        if serving.get("send_length", True):
            h.send_header("Content-Length", str(len(content)))
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        sent = 0
        try:
            for start in range(0, len(content), DOWNLOAD_CHUNK):
                h.wfile.write(content[start : start + DOWNLOAD_CHUNK])
                sent += len(content[start : start + DOWNLOAD_CHUNK])
                with self.lock:
                    self.download_bytes_sent[file_id] = sent
        except OSError:
            pass  # the downloader hung up

    def _handle_response_url(self, h: _Handler, url_id: str, raw: bytes) -> None:
        with self.lock:
            known = url_id in self._response_urls
        if not known:
            self._send_json(h, {"ok": False, "error": "expired_url"}, 404)
            return
        try:
            payload = json.loads(raw.decode("utf-8") or "{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._send_json(h, {"ok": False, "error": "invalid_payload"}, 400)
            return
        if not isinstance(payload, dict):
            self._send_json(h, {"ok": False, "error": "invalid_payload"}, 400)
            return
        errors = validate_message_text(payload.get("text"))
        if "blocks" in payload:
            errors += validate_blocks(payload["blocks"], MESSAGE_SURFACE)
        if errors:
            self._send_json(h, {"ok": False, "error": "invalid_blocks", "errors": errors}, 400)
            return
        if (
            not payload.get("text")
            and not payload.get("blocks")
            and not payload.get("delete_original")
        ):
            self._send_json(h, {"ok": False, "error": "no_text"}, 400)
            return
        with self.lock:
            self.responses.append({**payload, "url_id": url_id})
        self._send_json(h, {"ok": True})

    # ------------------------------------------------------------------ common lookups
    def _require(self, params: JSON, *names: str) -> None:
        for name in names:
            if params.get(name) in (None, ""):
                raise SlackError(
                    "invalid_arguments",
                    response_metadata={"messages": [f"[ERROR] missing required field: {name}"]},
                )

    def _live_oauth_token(self, token: str) -> bool:
        try:
            return self.oauth.knows(token) and self.oauth.team_for(token) is not None
        except OAuthError:
            return False

    def _user(self, user_id: Any) -> JSON:
        if not user_id or user_id not in self.users:
            raise SlackError("user_not_found")
        if self.users[user_id].get("team_id") != self.team_id:
            raise SlackError("user_not_found")  # another workspace's person
        return self.users[user_id]

    def _resolve_channel(self, channel: Any, *, for_post: bool = False) -> str:
        if not channel:
            raise SlackError("channel_not_found")
        name = str(channel)
        if name in self.channels:
            if self.channels[name].get("context_team_id", self.team_id) != self.team_id:
                raise SlackError("channel_not_found")  # another workspace's channel
            return name
        if for_post and name in self.users and self.users[name].get("team_id") == self.team_id:
            return self._ensure_dm(name)
        if name.startswith("#"):
            for cid, chan in self.channels.items():
                if chan.get("name") == name[1:]:
                    return cid
        raise SlackError("channel_not_found")

    def _bot_visible(self, cid: str) -> None:
        """Private channels the bot is not in look like they don't exist."""
        chan = self.channels[cid]
        if chan.get("is_private") and self.bot_user_id not in self._members.get(cid, []):
            raise SlackError("channel_not_found")

    def _bot_can_post(self, cid: str) -> None:
        self._bot_visible(cid)
        chan = self.channels[cid]
        if chan.get("is_archived"):
            raise SlackError("is_archived")
        if self.bot_user_id not in self._members.get(cid, []):
            raise SlackError("not_in_channel")
        if chan.get("_posting_restricted"):
            raise SlackError("restricted_action")

    def _channel_view(self, cid: str, *, num_members: bool = False) -> JSON:
        chan = {k: v for k, v in _clone(self.channels[cid]).items() if k[0] != "_"}
        if not chan.get("is_im"):
            chan["is_member"] = self.bot_user_id in self._members.get(cid, [])
            if num_members:
                chan["num_members"] = len(self._members.get(cid, []))
        return chan

    def _find(self, cid: str, ts: Any) -> JSON | None:
        for msg in self._messages.get(cid, []):
            if msg["ts"] == ts:
                return msg
        return None

    # ------------------------------------------------------------------ messages
    def _bot_message_base(self) -> JSON:
        return {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": self.bot_name,
                "deleted": False,
                "team_id": self.team_id,
            },
        }

    def _store_message(self, cid: str, msg: JSON, thread_ts: Any) -> JSON:
        msg["ts"] = self._next_ts()
        if thread_ts:
            parent = self._find(cid, str(thread_ts))
            root_ts = str(thread_ts)
            if (
                parent is not None
                and parent.get("thread_ts")
                and parent["thread_ts"] != parent["ts"]
            ):
                root_ts = parent["thread_ts"]
                parent = self._find(cid, root_ts)
            msg["thread_ts"] = root_ts
            msg["parent_user_id"] = parent.get("user") if parent else None
            if parent is not None:
                parent["thread_ts"] = root_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                users = parent.setdefault("reply_users", [])
                if msg.get("user") and msg["user"] not in users:
                    users.append(msg["user"])
                parent["reply_users_count"] = len(users)
                parent["latest_reply"] = msg["ts"]
        self._messages.setdefault(cid, []).append(msg)
        return msg

    def _message_content(self, params: JSON, *, require_content: bool = True) -> JSON:
        out: JSON = {}
        text = params.get("text")
        blocks = _maybe_json(params.get("blocks"), "blocks")
        attachments = _maybe_json(params.get("attachments"), "attachments")
        if require_content and not text and not blocks and not attachments:
            raise SlackError("no_text")
        if validate_message_text(text):
            raise SlackError("msg_too_long")
        if blocks is not None:
            errors = validate_blocks(blocks, MESSAGE_SURFACE)
            if errors:
                raise SlackError(
                    "invalid_blocks",
                    errors=errors,
                    response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
                )
            out["blocks"] = blocks
        if attachments is not None:
            out["attachments"] = attachments
        if text is not None:
            out["text"] = str(text)
        elif require_content:
            out["text"] = ""
        metadata = _maybe_json(params.get("metadata"), "metadata")
        if metadata is not None:
            if (
                not isinstance(metadata, dict)
                or not isinstance(metadata.get("event_type"), str)
                or not isinstance(metadata.get("event_payload"), dict)
            ):
                raise SlackError("invalid_metadata_format")
            out["metadata"] = {
                "event_type": metadata["event_type"],
                "event_payload": metadata["event_payload"],
            }
        return out

    def _public_message(self, msg: JSON, include_metadata: bool = True) -> JSON:
        out = _clone(msg)
        if not include_metadata:
            out.pop("metadata", None)
        elif "metadata" in out:
            out["app_id"] = self.app_id
        out.pop("_options", None)
        return out

    def _chat_post_message(self, p: JSON) -> JSON:
        cid = self._resolve_channel(p.get("channel"), for_post=True)
        self._bot_can_post(cid)
        content = self._message_content(p)
        msg = self._bot_message_base()
        msg.update(content)
        msg["_options"] = {
            k: p[k]
            for k in ("unfurl_links", "unfurl_media", "mrkdwn", "reply_broadcast", "parse")
            if k in p
        }
        if _truthy(p.get("reply_broadcast")) and p.get("thread_ts"):
            msg["subtype"] = "thread_broadcast"
        if "mrkdwn" in p and not _truthy(p.get("mrkdwn")):
            msg["mrkdwn"] = False
        stored = self._store_message(cid, msg, p.get("thread_ts"))
        return {"channel": cid, "ts": stored["ts"], "message": self._public_message(stored)}

    def _chat_post_ephemeral(self, p: JSON) -> JSON:
        cid = self._resolve_channel(p.get("channel"), for_post=True)
        self._bot_visible(cid)
        user_id = p.get("user")
        self._user(user_id)
        if user_id not in self._members.get(cid, []):
            raise SlackError("user_not_in_channel")
        content = self._message_content(p)
        ts = self._next_ts()
        self.ephemerals.append(
            {
                "channel": cid,
                "user": user_id,
                "message_ts": ts,
                "thread_ts": p.get("thread_ts"),
                **content,
            }
        )
        return {"message_ts": ts}

    def _chat_update(self, p: JSON) -> JSON:
        cid = self._resolve_channel(p.get("channel"))
        self._bot_visible(cid)
        msg = self._find(cid, p.get("ts"))
        if msg is None:
            raise SlackError("message_not_found")
        if msg.get("bot_id") != self.bot_id:
            raise SlackError("cant_update_message")
        content = self._message_content(p, require_content=False)
        if not ({"text", "blocks", "attachments", "metadata"} & content.keys()) and (
            "file_ids" not in p
        ):
            raise SlackError("no_text")
        msg.update(content)
        msg["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "channel": cid,
            "ts": msg["ts"],
            "text": msg.get("text", ""),
            "message": self._public_message(msg),
        }

    def _chat_delete(self, p: JSON) -> JSON:
        cid = self._resolve_channel(p.get("channel"))
        self._bot_visible(cid)
        msg = self._find(cid, p.get("ts"))
        if msg is None:
            raise SlackError("message_not_found")
        if msg.get("bot_id") != self.bot_id:
            raise SlackError("cant_delete_message")
        self._messages[cid].remove(msg)
        return {"channel": cid, "ts": msg["ts"]}

    def _chat_get_permalink(self, p: JSON) -> JSON:
        cid = self._resolve_channel(p.get("channel"))
        self._bot_visible(cid)
        msg = self._find(cid, p.get("message_ts"))
        if msg is None:
            raise SlackError("message_not_found")
        url = f"https://{self.team_domain}.slack.com/archives/{cid}/p{msg['ts'].replace('.', '')}"
        if msg.get("thread_ts") and msg["thread_ts"] != msg["ts"]:
            url += f"?thread_ts={msg['thread_ts']}&cid={cid}"
        return {"channel": cid, "permalink": url}

    def _chat_schedule_message(self, p: JSON) -> JSON:
        cid = self._resolve_channel(p.get("channel"), for_post=True)
        self._bot_can_post(cid)
        try:
            post_at = int(float(p.get("post_at") or 0))
        except (TypeError, ValueError) as exc:
            raise SlackError("invalid_time") from exc
        now = self._now()
        if post_at <= now:
            raise SlackError("time_in_past")
        if post_at > now + 120 * 86400:
            raise SlackError("time_too_far")
        content = self._message_content(p)
        sid = self._new_id("Q")
        msg = self._bot_message_base()
        msg.update(content)
        record = {
            "id": sid,
            "channel_id": cid,
            "post_at": post_at,
            "date_created": now,
            "thread_ts": p.get("thread_ts"),
            "message": msg,
        }
        self.scheduled.append(record)
        return {
            "channel": cid,
            "scheduled_message_id": sid,
            "post_at": post_at,
            "message": _clone(msg),
        }

    def _reactions_add(self, p: JSON) -> JSON:
        self._require(p, "name", "timestamp")
        cid = self._resolve_channel(p.get("channel"))
        self._bot_visible(cid)
        msg = self._find(cid, p.get("timestamp"))
        if msg is None:
            raise SlackError("message_not_found")
        name = str(p["name"]).strip(":")
        reactions = msg.setdefault("reactions", [])
        for r in reactions:
            if r["name"] == name:
                if self.bot_user_id in r["users"]:
                    raise SlackError("already_reacted")
                r["users"].append(self.bot_user_id)
                r["count"] += 1
                return {}
        reactions.append({"name": name, "users": [self.bot_user_id], "count": 1})
        return {}

    # ------------------------------------------------------------------ conversations
    def _conversations_open(self, p: JSON) -> JSON:
        if p.get("channel"):
            cid = self._resolve_channel(p["channel"])
            return {
                "channel": self._channel_view(cid) if _truthy(p.get("return_im")) else {"id": cid}
            }
        users_raw = p.get("users")
        if not users_raw:
            raise SlackError("users_list_not_supplied")
        users = [u.strip() for u in str(users_raw).split(",") if u.strip()]
        for u in users:
            if self._user(u).get("deleted"):
                raise SlackError("user_disabled")
        if len(users) > 8:
            raise SlackError("too_many_users")
        already = False
        if len(users) == 1:
            already = users[0] in self._dm_by_user
            cid = self._ensure_dm(users[0])
        else:
            key = tuple(sorted(set(users) | {self.bot_user_id}))
            already = key in self._mpim_by_users
            if not already:
                cid = self._new_id("G")
                self._mpim_by_users[key] = cid
                self.channels[cid] = {
                    "id": cid,
                    "name": "mpdm-" + "--".join(self.users[u]["name"] for u in key) + "-1",
                    "is_channel": False,
                    "is_group": False,
                    "is_im": False,
                    "is_mpim": True,
                    "is_private": True,
                    "created": self._now(),
                    "context_team_id": self.team_id,
                }
                self._members[cid] = list(key)
                self._messages.setdefault(cid, [])
            cid = self._mpim_by_users[key]
        out: JSON = {}
        if already:
            out["no_op"] = True
            out["already_open"] = True
        out["channel"] = self._channel_view(cid) if _truthy(p.get("return_im")) else {"id": cid}
        return out

    def _conversations_info(self, p: JSON) -> JSON:
        cid = self._resolve_channel(p.get("channel"))
        self._bot_visible(cid)
        return {
            "channel": self._channel_view(cid, num_members=_truthy(p.get("include_num_members")))
        }

    def _conversations_members(self, p: JSON) -> JSON:
        cid = self._resolve_channel(p.get("channel"))
        self._bot_visible(cid)
        page, nxt = _paginate(self._members.get(cid, []), p, "member", 100)
        return {"members": page, "response_metadata": {"next_cursor": nxt}}

    def _history_filter(self, msgs: list[JSON], p: JSON) -> list[JSON]:
        inclusive = _truthy(p.get("inclusive"))
        oldest = float(p["oldest"]) if p.get("oldest") not in (None, "") else None
        latest = float(p["latest"]) if p.get("latest") not in (None, "") else None
        out = []
        for m in msgs:
            ts = float(m["ts"])
            if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
                continue
            if latest is not None and (ts > latest or (ts == latest and not inclusive)):
                continue
            out.append(m)
        return out

    def _conversations_history(self, p: JSON) -> JSON:
        cid = self._resolve_channel(p.get("channel"))
        self._bot_visible(cid)
        if self.bot_user_id not in self._members.get(cid, []):
            raise SlackError("not_in_channel")
        top = [
            m
            for m in self._messages.get(cid, [])
            if not m.get("thread_ts")
            or m["thread_ts"] == m["ts"]
            or m.get("subtype") == "thread_broadcast"
        ]
        top = self._history_filter(top, p)
        top.reverse()  # newest first
        page, nxt = _paginate(top, p, "history", 100, self.max_page)
        meta = _truthy(p.get("include_all_metadata"))
        return {
            "messages": [self._public_message(m, meta) for m in page],
            "has_more": bool(nxt),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": nxt},
        }

    def _conversations_replies(self, p: JSON) -> JSON:
        """The thread's parent first, then its replies oldest first (`oldest`/`latest` bound the
        replies, never the parent); later pages, through the cursor, hold replies only."""
        cid = self._resolve_channel(p.get("channel"))
        self._bot_visible(cid)
        if self.bot_user_id not in self._members.get(cid, []):
            raise SlackError("not_in_channel")
        ts = p.get("ts")
        if not ts:
            raise SlackError("thread_not_found")
        parent = self._find(cid, ts)
        if parent is None:
            raise SlackError("thread_not_found")
        root = parent.get("thread_ts") or parent["ts"]
        thread = [
            m for m in self._messages.get(cid, []) if m["ts"] == root or m.get("thread_ts") == root
        ]
        head, rest = thread[:1], self._history_filter(thread[1:], p)
        page, nxt = _paginate(head + rest, p, "replies", 1000, self.max_page)
        meta = _truthy(p.get("include_all_metadata"))
        return {
            "messages": [self._public_message(m, meta) for m in page],
            "has_more": bool(nxt),
            "response_metadata": {"next_cursor": nxt},
        }

    def _conversations_invite(self, p: JSON) -> JSON:
        cid = self._resolve_channel(p.get("channel"))
        self._bot_visible(cid)
        chan = self.channels[cid]
        if chan.get("is_im") or chan.get("is_mpim"):
            raise SlackError("method_not_supported_for_channel_type")
        if chan.get("is_archived"):
            raise SlackError("is_archived")
        if self.bot_user_id not in self._members[cid]:
            raise SlackError("not_in_channel")
        users = [u.strip() for u in str(p.get("users") or "").split(",") if u.strip()]
        if not users:
            raise SlackError("no_user")
        if len(users) > 1000:
            raise SlackError("too_many_users")
        for u in users:
            if u == self.bot_user_id:
                raise SlackError("cant_invite_self")
            self._user(u)
            if self.users[u].get("deleted"):
                raise SlackError("cant_invite")
            if self.users[u].get("is_ultra_restricted"):
                raise SlackError("ura_max_channels")
            if self.users[u].get("is_restricted"):
                raise SlackError("user_is_restricted")
            if u in self._members[cid]:
                raise SlackError(
                    "already_in_channel",
                    errors=[{"user": u, "ok": False, "error": "already_in_channel"}],
                )
        self._members[cid].extend(users)
        return {"channel": self._channel_view(cid)}

    def _conversations_kick(self, p: JSON) -> JSON:
        cid = self._resolve_channel(p.get("channel"))
        self._bot_visible(cid)
        user_id = p.get("user")
        if user_id == self.bot_user_id:
            raise SlackError("cant_kick_self")
        self._user(user_id)
        if self.channels[cid].get("is_im"):
            raise SlackError("method_not_supported_for_channel_type")
        if user_id not in self._members[cid]:
            raise SlackError("not_in_channel")
        self._members[cid].remove(user_id)
        return {}

    def _conversations_join(self, p: JSON) -> JSON:
        cid = self._resolve_channel(p.get("channel"))
        chan = self.channels[cid]
        if chan.get("is_private") or chan.get("is_im"):
            if self.bot_user_id not in self._members.get(cid, []):
                raise SlackError("channel_not_found")
            raise SlackError("method_not_supported_for_channel_type")
        if chan.get("is_archived"):
            raise SlackError("is_archived")
        out: JSON = {}
        if self.bot_user_id in self._members[cid]:
            out["warning"] = "already_in_channel"
            out["response_metadata"] = {"warnings": ["already_in_channel"]}
        else:
            self._members[cid].append(self.bot_user_id)
        out["channel"] = self._channel_view(cid)
        return out

    # ------------------------------------------------------------------ users / team / auth
    def _auth_test(self, p: JSON) -> JSON:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _users_info(self, p: JSON) -> JSON:
        return {"user": _clone(self._user(p.get("user")))}

    def _users_list(self, p: JSON) -> JSON:
        members = [_clone(u) for u in self.users.values() if u.get("team_id") == self.team_id]
        page, nxt = _paginate(members, p, "users", 1000)
        return {"members": page, "cache_ts": self._now(), "response_metadata": {"next_cursor": nxt}}

    def _team_info(self, p: JSON) -> JSON:
        return {
            "team": {
                "id": self.team_id,
                "name": self.team_name,
                "domain": self.team_domain,
                "email_domain": "",
                "icon": {"image_default": True, "image_34": "https://a.example/34.png"},
                "url": f"https://{self.team_domain}.slack.com/",
                "is_verified": False,
            }
        }

    # ------------------------------------------------------------------ views
    def _view_errors(self, view: Any) -> None:
        errors = validate_view(view)
        if errors:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )

    def _consume_trigger(self, trigger: Any) -> None:
        if not trigger:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: trigger_id"]},
            )
        created = self.triggers.get(str(trigger))
        if created is None:
            raise SlackError("invalid_trigger_id")
        if trigger in self._used_triggers:
            raise SlackError("exchanged_trigger_id")
        if self.clock() - created > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        self._used_triggers.add(str(trigger))

    def _make_view(self, view: JSON, *, root: str | None = None, prev: str | None = None) -> JSON:
        vid = self._new_id("V")
        record: JSON = {
            "id": vid,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": _clone(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": self._new_hash(),
            "title": view.get("title"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": prev,
            "root_view_id": root or vid,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
            "_seq": next(self._ids),
        }
        if record["external_id"]:
            for other in self.views.values():
                if other["external_id"] == record["external_id"]:
                    raise SlackError("duplicate_external_id")
        self.views[vid] = record
        return record

    def _new_hash(self) -> str:
        n = next(self._ids)
        return f"{self._now()}.{'%08x' % (n * 2654435761 % 2**32)}"

    def _public_view(self, record: JSON) -> JSON:
        out = _clone(record)
        out.pop("_seq", None)
        out.pop("_user", None)
        return out

    def _views_open(self, p: JSON) -> JSON:
        view = _maybe_json(p.get("view"), "view")
        self._consume_trigger(p.get("trigger_id"))
        if view is None:
            raise SlackError("invalid_arguments")
        self._view_errors(view)
        if view.get("type") != "modal":
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] must be modal [json-pointer:/view/type]"]},
            )
        record = self._make_view(view)
        self.views_opened.append(self._public_view(record))
        return {"view": self._public_view(record)}

    def _views_push(self, p: JSON) -> JSON:
        view = _maybe_json(p.get("view"), "view")
        self._consume_trigger(p.get("trigger_id"))
        if view is None:
            raise SlackError("invalid_arguments")
        self._view_errors(view)
        if view.get("type") != "modal":
            raise SlackError("invalid_arguments")
        modals = [v for v in self.views.values() if v["type"] == "modal"]
        prev = max(modals, key=lambda v: v["_seq"]) if modals else None
        if prev is not None:
            stack_depth = sum(1 for v in modals if v["root_view_id"] == prev["root_view_id"])
            if stack_depth >= 3:
                raise SlackError("push_limit_reached")
        record = self._make_view(
            view,
            root=prev["root_view_id"] if prev else None,
            prev=prev["id"] if prev else None,
        )
        self.views_pushed.append(self._public_view(record))
        return {"view": self._public_view(record)}

    def _views_update(self, p: JSON) -> JSON:
        view = _maybe_json(p.get("view"), "view")
        vid = p.get("view_id")
        ext = p.get("external_id")
        if not vid and not ext:
            raise SlackError(
                "invalid_arguments",
                response_metadata={
                    "messages": ["[ERROR] either view_id or external_id is required"]
                },
            )
        if view is None:
            raise SlackError("invalid_arguments")
        record: JSON | None = None
        if vid:
            record = self.views.get(str(vid))
        else:
            record = next((v for v in self.views.values() if v["external_id"] == ext), None)
        if record is None:
            raise SlackError("not_found")
        if p.get("hash") and p["hash"] != record["hash"]:
            raise SlackError("hash_conflict")
        self._view_errors(view)
        record.update(
            {
                "type": view["type"],
                "blocks": _clone(view.get("blocks", [])),
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                "title": view.get("title"),
                "close": view.get("close"),
                "submit": view.get("submit"),
                "clear_on_close": bool(view.get("clear_on_close", False)),
                "notify_on_close": bool(view.get("notify_on_close", False)),
                "external_id": view.get("external_id", record["external_id"]),
                "hash": self._new_hash(),
                "_seq": next(self._ids),
            }
        )
        self.views_updated.append(self._public_view(record))
        return {"view": self._public_view(record)}

    def _views_publish(self, p: JSON) -> JSON:
        user_id = p.get("user_id")
        self._user(user_id)
        view = _maybe_json(p.get("view"), "view")
        if view is None:
            raise SlackError("invalid_arguments")
        self._view_errors(view)
        if view.get("type") != "home":
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] must be home [json-pointer:/view/type]"]},
            )
        pubs = self.homes.setdefault(str(user_id), [])
        if p.get("hash") and pubs and p["hash"] != pubs[-1]["hash"]:
            raise SlackError("hash_conflict")
        if pubs:
            existing = self.views[pubs[-1]["id"]]
            existing.update(
                {
                    "blocks": _clone(view.get("blocks", [])),
                    "private_metadata": view.get("private_metadata", ""),
                    "callback_id": view.get("callback_id", ""),
                    "external_id": view.get("external_id", ""),
                    "hash": self._new_hash(),
                    "_seq": next(self._ids),
                }
            )
            record = existing
        else:
            record = self._make_view(view)
            record["_user"] = user_id
        pubs.append(self._public_view(record))
        return {"view": self._public_view(record)}

    # ------------------------------------------------------------------ files
    def _make_file(
        self, file_id: str, name: str, title: str, user: str, content: bytes, mimetype: str | None
    ) -> JSON:
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        mt = mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream"
        now = self._now()
        qname = quote(name)
        obj: JSON = {
            "id": file_id,
            "created": now,
            "timestamp": now,
            "name": name,
            "title": title,
            "mimetype": mt,
            "filetype": ext or "binary",
            "pretty_type": (ext or "binary").upper(),
            "user": user,
            "user_team": self.team_id,
            "editable": False,
            "size": len(content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": False,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{self.base_url}/files-pri/{self.team_id}-{file_id}/{qname}",
            "url_private_download": (
                f"{self.base_url}/files-pri/{self.team_id}-{file_id}/download/{qname}"
            ),
            "permalink": f"https://{self.team_domain}.slack.com/files/{user}/{file_id}/{qname}",
            "channels": [],
            "groups": [],
            "ims": [],
            "shares": {},
            "comments_count": 0,
            "has_rich_preview": False,
            "file_access": "visible",
        }
        self.files[file_id] = obj
        self.file_contents[file_id] = content
        return obj

    def _files_get_upload_url_external(self, p: JSON) -> JSON:
        self._require(p, "filename", "length")
        try:
            length = int(p["length"])
        except (TypeError, ValueError) as exc:
            raise SlackError("invalid_arguments") from exc
        file_id = self._new_id("F")
        self._pending_uploads[file_id] = {
            "filename": str(p["filename"]),
            "length": length,
            "alt_txt": p.get("alt_txt"),
            "snippet_type": p.get("snippet_type"),
            "content": None,
        }
        return {"upload_url": f"{self.base_url}/upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, p: JSON) -> JSON:
        files = _maybe_json(p.get("files"), "files")
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments")
        cid: str | None = None
        channel_arg = p.get("channel_id") or (str(p.get("channels") or "").split(",")[0] or None)
        if channel_arg:
            cid = self._resolve_channel(channel_arg, for_post=True)
            self._bot_can_post(cid)
        created: list[JSON] = []
        for item in files:
            fid = item.get("id") if isinstance(item, dict) else None
            pending = self._pending_uploads.get(str(fid))
            if pending is None:
                raise SlackError("file_not_found")
            if pending["content"] is None:
                raise SlackError("file_upload_not_found")
            title = item.get("title") or pending["filename"]
            obj = self._make_file(
                str(fid), pending["filename"], title, self.bot_user_id, pending["content"], None
            )
            if pending.get("alt_txt"):
                obj["alt_txt"] = pending["alt_txt"]
            del self._pending_uploads[str(fid)]
            created.append(obj)
        if cid is not None:
            msg = self._bot_message_base()
            msg["text"] = str(p.get("initial_comment") or "")
            msg["upload"] = True
            msg["display_as_bot"] = False
            msg["files"] = [_clone(f) for f in created]
            stored = self._store_message(cid, msg, p.get("thread_ts"))
            chan = self.channels[cid]
            key = (
                "ims" if chan.get("is_im") else ("private" if chan.get("is_private") else "public")
            )
            listing = (
                "ims" if chan.get("is_im") else ("groups" if chan.get("is_private") else "channels")
            )
            for f in created:
                f[listing].append(cid)
                share: JSON = {"ts": stored["ts"], "channel_name": chan.get("name", "")}
                if stored.get("thread_ts"):
                    share["thread_ts"] = stored["thread_ts"]
                f["shares"].setdefault(key, {})[cid] = [share]
            stored["files"] = [_clone(f) for f in created]
        return {"files": [_clone(f) for f in created]}

    def _files_info(self, p: JSON) -> JSON:
        fid = p.get("file")
        if not fid or fid not in self.files:
            raise SlackError("file_not_found")
        return {
            "file": _clone(self.files[str(fid)]),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }


class _Dropped(Exception):
    pass


class _RecorderHandler(BaseHTTPRequestHandler):
    server: _RecorderServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        recorder = self.server.recorder
        with recorder.lock:
            recorder.requests.append({"path": self.path, "headers": dict(self.headers.items())})
        body = b"bytes from somewhere else"
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True


class _RecorderServer(ThreadingHTTPServer):
    daemon_threads = True
    recorder: HeaderRecorder

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.recorder.lock:
            self.recorder.connections += 1
        super().process_request(request, client_address)


class HeaderRecorder:
    """A second web server on loopback, not Slack, that notes every connection and the headers
    of every request it is sent (to see what a redirect off Slack's hosts would carry)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[JSON] = []
        self.connections = 0
        self._httpd = _RecorderServer(("127.0.0.1", 0), _RecorderHandler)
        self._httpd.recorder = self
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> HeaderRecorder:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Acting:
    """Within it, the calling thread acts as another workspace of the fake (seeding, asserting)."""

    def __init__(self, fake: FakeSlack, team: Team | None) -> None:
        self.fake = fake
        self.team = team

    def __enter__(self) -> FakeSlack:
        self.before = getattr(self.fake._acting, "team", None)
        self.fake._acting.team = self.team
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self.fake._acting.team = self.before
