"""What a running Kettle holds: settings, database, Web API client, sender, scheduler.

Scheduled jobs are stored by reference (module:function) so they survive restarts; they reach
the live process's collaborators through `current()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.config import Settings
from bot.db import SessionFactory
from bot.delivery import Sender
from bot.services import hooks as _hooks  # noqa: F401  (registers the capabilities' hooks)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: SessionFactory
    client: WebClient
    sender: Sender
    extras: dict[str, Any] = field(default_factory=dict)


_current: Runtime | None = None


def install(runtime: Runtime) -> None:
    global _current
    _current = runtime


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("Kettle's runtime is not installed (is the app running?)")
    return _current


def clear() -> None:
    global _current
    _current = None
