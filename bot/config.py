"""Settings read once from the environment (and `.env`), validated with messages a person can act on."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import storage

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///kettle.db"
#: Where Slack serves the bytes of files (url_private, url_private_download): files.slack.com,
#: which sends some downloads on to files-origin.slack.com. Only these get the bot token.
SLACK_FILE_HOSTS: tuple[str, ...] = ("https://files.slack.com", "https://files-origin.slack.com")
MB = 1024 * 1024
DEFAULT_FILE_MAX_MB = 50
DEFAULT_FILE_QUOTA_MB = 500

INSTALL_PATH = "/slack/install"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
ON_UNINSTALL = ("keep", "delete")

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and says how to fix it."""


@dataclass(frozen=True)
class Settings:
    bot_token: str
    signing_secret: str
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 3000
    convenors: tuple[str, ...] = ()
    cop_channel: str | None = None
    movement_channel: str | None = None
    community_name: str = "Community of Practice"
    workspace_tz: str = "Europe/London"
    prompts_dir: Path | None = None
    files_dir: Path = Path("kettle-files")
    file_hosts: tuple[str, ...] = SLACK_FILE_HOSTS
    file_max_bytes: int = DEFAULT_FILE_MAX_MB * MB
    file_quota_bytes: int = DEFAULT_FILE_QUOTA_MB * MB
    threads: int = 8
    call_worker: bool = True  # Web API calls made by a worker process (bot/call_worker.py)
    client_id: str | None = None
    client_secret: str | None = None
    public_url: str | None = None
    on_uninstall: str = "keep"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def oauth(self) -> bool:
        """Any number of workspaces, installed through Slack's OAuth flow: SLACK_CLIENT_ID and
        SLACK_CLIENT_SECRET are set (and SLACK_BOT_TOKEN is not)."""
        return bool(self.client_id and self.client_secret)

    @property
    def redirect_uri(self) -> str | None:
        """Where Slack sends the installer back; None lets Slack use the app's only one."""
        if not self.public_url:
            return None
        return self.public_url.rstrip("/") + OAUTH_REDIRECT_PATH

    @property
    def authorize_url(self) -> str:
        """Slack's page that asks the installer to allow Kettle: beside the Web API's `api/`."""
        base = self.api_url[: -len("api/")] if self.api_url.endswith("api/") else self.api_url
        return base + "oauth/v2/authorize"


def _require(env: Mapping[str, str], name: str, hint: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: {hint}")
    return value


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the operator gave."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# Capability settings read where they are used; checked here so a typo stops Kettle at start.
_NUMERIC_SETTINGS: tuple[tuple[str, float, float, str], ...] = (
    ("KETTLE_TEA_BREAK_LONGER_THAN", 0, 24 * 60, "minutes"),
    ("KETTLE_TEA_BREAK_AT", 1, 24 * 60, "minutes"),
    ("KETTLE_PAIRING_PERIOD_DAYS", 1, 365, "days"),
    ("KETTLE_PAIRING_FOLLOWUP_DAYS", 1, 365, "days"),
    ("KETTLE_CLAIM_LEASE_SECONDS", 1, 3600, "seconds"),
    ("KETTLE_FANOUT_WORKERS", 1, 64, "workers"),
)


def file_hosts_from(text: str) -> tuple[str, ...]:
    """KETTLE_FILE_HOSTS: comma-separated host names (https) or origins; Slack's when blank.
    Plain http is accepted only for a stand-in for Slack on this machine (loopback)."""
    hosts: list[str] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        url = entry if "://" in entry else f"https://{entry}"
        origin = storage.origin_of(url)
        parts = urlsplit(url)
        if origin is None or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ConfigError(
                f"KETTLE_FILE_HOSTS has {entry!r}: give host names like files.slack.com, "
                "separated by commas"
            )
        if origin.startswith("http://") and not storage.is_loopback(parts.hostname or ""):
            raise ConfigError(
                f"KETTLE_FILE_HOSTS has {entry!r}: Slack's file hosts use https; plain http is "
                "only for a stand-in for Slack on this machine (127.0.0.1)"
            )
        hosts.append(origin)
    return tuple(dict.fromkeys(hosts)) or SLACK_FILE_HOSTS


def _megabytes(env: Mapping[str, str], name: str, default: int, high: int) -> int:
    text = env.get(name, "").strip() or str(default)
    if not text.isdigit() or not 1 <= int(text) <= high:
        raise ConfigError(f"{name} must be a whole number of megabytes from 1 to {high}")
    return int(text) * MB


def database_url_from_env(env: Mapping[str, str] | None = None) -> str:
    """Just the database URL, for commands that need no Slack tokens (migrate, export)."""
    if env is None:
        from dotenv import load_dotenv

        load_dotenv(dotenv_path=Path.cwd() / ".env", override=False)
        env = os.environ
    url = normalise_database_url(env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL)
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", url):
        raise ConfigError("DATABASE_URL must be sqlite:///path.db or postgresql://user@host/db")
    return url


def _oauth_credentials(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Basic Information → App Credentials): both or
    neither."""
    client_id = env.get("SLACK_CLIENT_ID", "").strip() or None
    client_secret = env.get("SLACK_CLIENT_SECRET", "").strip() or None
    if client_id and not client_secret:
        raise ConfigError(
            "SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not: copy the Client Secret "
            "from Basic Information → App Credentials"
        )
    if client_secret and not client_id:
        raise ConfigError(
            "SLACK_CLIENT_SECRET is set but SLACK_CLIENT_ID is not: copy the Client ID "
            "from Basic Information → App Credentials"
        )
    if client_id and not re.fullmatch(r"[0-9]+\.[0-9]+", client_id):
        raise ConfigError("SLACK_CLIENT_ID looks wrong: it is two numbers joined by a dot")
    return client_id, client_secret


def load_settings(env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Read and validate every setting; raise ConfigError naming the first bad one."""
    if env is None:
        if dotenv:
            from dotenv import load_dotenv

            load_dotenv(dotenv_path=Path.cwd() / ".env", override=False)
        env = os.environ

    client_id, client_secret = _oauth_credentials(env)
    bot_token = env.get("SLACK_BOT_TOKEN", "").strip()
    if client_id and bot_token:
        raise ConfigError(
            "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: keep SLACK_BOT_TOKEN for one "
            "workspace, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install in any number"
        )
    if not client_id:
        bot_token = _require(
            env, "SLACK_BOT_TOKEN", "set it to the app's Bot User OAuth Token (xoxb-…) in .env"
        )
        if not bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN must start with xoxb- (the Bot User OAuth Token)")
    on_uninstall = env.get("KETTLE_ON_UNINSTALL", "").strip().lower() or "keep"
    if on_uninstall not in ON_UNINSTALL:
        raise ConfigError(
            "KETTLE_ON_UNINSTALL must be keep (a workspace's CoPs wait for Kettle to be "
            "installed again) or delete (they are deleted when Kettle is uninstalled)"
        )
    public_url = env.get("KETTLE_PUBLIC_URL", "").strip().rstrip("/") or None
    if public_url and not re.match(r"^https?://[^/\s]+", public_url):
        raise ConfigError(
            "KETTLE_PUBLIC_URL must be Kettle's public URL, like https://kettle.example.org"
        )
    signing_secret = _require(
        env, "SLACK_SIGNING_SECRET", "copy it from Basic Information → App Credentials into .env"
    )
    if not re.fullmatch(r"[0-9a-fA-F]{16,}", signing_secret):
        raise ConfigError("SLACK_SIGNING_SECRET looks wrong: it is the hex Signing Secret")

    app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
    if app_token and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must start with xapp- (an app-level token)")

    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    if not re.match(r"^https?://", api_url):
        raise ConfigError("SLACK_API_URL must be an http(s) URL, e.g. https://slack.com/api/")
    if not api_url.endswith("/"):
        api_url += "/"

    database_url = normalise_database_url(
        env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    )
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
        raise ConfigError("DATABASE_URL must be sqlite:///path.db or postgresql://user@host/db")

    port_text = env.get("PORT", "").strip() or "3000"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"PORT must be a number between 1 and 65535, not {port_text!r}")

    convenors = tuple(
        part.strip() for part in env.get("KETTLE_CONVENORS", "").split(",") if part.strip()
    )
    for user_id in convenors:
        if not _USER_ID.match(user_id):
            raise ConfigError(
                f"KETTLE_CONVENORS has {user_id!r}, which is not a Slack user id (like U012AB3CD)"
            )

    cop_channel = env.get("KETTLE_COP_CHANNEL", "").strip() or None
    if cop_channel and not _CHANNEL_ID.match(cop_channel):
        raise ConfigError(
            "KETTLE_COP_CHANNEL must be a channel id (like C012AB3CD), not a name; "
            "find it in the channel's details"
        )
    movement_channel = env.get("KETTLE_MOVEMENT_CHANNEL", "").strip() or None
    if movement_channel and not _CHANNEL_ID.match(movement_channel):
        raise ConfigError("KETTLE_MOVEMENT_CHANNEL must be a channel id (like C012AB3CD)")
    if cop_channel and movement_channel and cop_channel == movement_channel:
        raise ConfigError(
            "KETTLE_MOVEMENT_CHANNEL must differ from KETTLE_COP_CHANNEL: "
            "the CoP's channel is private"
        )

    workspace_tz = env.get("KETTLE_WORKSPACE_TZ", "").strip() or "Europe/London"
    try:
        ZoneInfo(workspace_tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"KETTLE_WORKSPACE_TZ {workspace_tz!r} is not a time zone (like Europe/London)"
        ) from exc

    prompts_text = env.get("KETTLE_PROMPTS_DIR", "").strip()
    prompts_dir = Path(prompts_text) if prompts_text else None
    if prompts_dir is not None and not prompts_dir.is_dir():
        raise ConfigError(f"KETTLE_PROMPTS_DIR {prompts_text!r} is not a folder")

    threads_text = env.get("KETTLE_THREADS", "").strip() or "8"
    if not threads_text.isdigit() or not 1 <= int(threads_text) <= 64:
        raise ConfigError("KETTLE_THREADS must be a number between 1 and 64")

    call_worker_text = env.get("KETTLE_CALL_WORKER", "").strip().lower() or "on"
    if call_worker_text not in ("on", "off"):
        raise ConfigError("KETTLE_CALL_WORKER must be on or off")

    file_hosts = file_hosts_from(env.get("KETTLE_FILE_HOSTS", ""))
    file_max_bytes = _megabytes(env, "KETTLE_FILE_MAX_MB", DEFAULT_FILE_MAX_MB, 1024)
    file_quota_bytes = _megabytes(env, "KETTLE_FILE_QUOTA_MB", DEFAULT_FILE_QUOTA_MB, 1024 * 1024)
    if file_quota_bytes < file_max_bytes:
        raise ConfigError(
            "KETTLE_FILE_QUOTA_MB must be at least KETTLE_FILE_MAX_MB: "
            "a member's room for files holds at least one file"
        )

    for name, low, high, unit in _NUMERIC_SETTINGS:
        text = env.get(name, "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (low <= value <= high) or (unit != "seconds" and not text.isdigit()):
            raise ConfigError(f"{name} must be a whole number of {unit} from {low:g} to {high:g}")

    return Settings(
        bot_token=bot_token,
        signing_secret=signing_secret,
        app_token=app_token,
        api_url=api_url,
        database_url=database_url,
        port=int(port_text),
        convenors=convenors,
        cop_channel=cop_channel,
        movement_channel=movement_channel,
        community_name=env.get("KETTLE_COMMUNITY_NAME", "").strip() or "Community of Practice",
        workspace_tz=workspace_tz,
        prompts_dir=prompts_dir,
        files_dir=Path(env.get("KETTLE_FILES_DIR", "").strip() or "kettle-files"),
        file_hosts=file_hosts,
        file_max_bytes=file_max_bytes,
        file_quota_bytes=file_quota_bytes,
        threads=int(threads_text),
        call_worker=call_worker_text == "on",
        client_id=client_id,
        client_secret=client_secret,
        public_url=public_url,
        on_uninstall=on_uninstall,
        extra={k: v for k, v in env.items() if k.startswith("KETTLE_")},
    )
