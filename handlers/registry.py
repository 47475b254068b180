"""Records what each capability registers, so the manifest can be checked against it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App

Listener = Callable[..., Any]


class Registered:
    """Per-app record of the slash commands and event types that have listeners."""

    def __init__(self) -> None:
        self.commands: set[str] = set()
        self.events: set[str] = set()


def registered(app: App) -> Registered:
    record = getattr(app, "_kettle_registered", None)
    if record is None:
        record = Registered()
        app._kettle_registered = record  # type: ignore[attr-defined]
    return record


def command(
    app: App, name: str, listener: Listener, *, middleware: Sequence[Listener] = ()
) -> None:
    registered(app).commands.add(name)
    app.command(name, middleware=list(middleware))(listener)


def event(
    app: App,
    name: str,
    listener: Listener,
    *,
    middleware: Sequence[Listener] = (),
    matchers: Sequence[Listener] = (),
) -> None:
    registered(app).events.add(name)
    app.event(name, middleware=list(middleware), matchers=list(matchers))(listener)
