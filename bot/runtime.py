"""What a running Kettle holds: settings, database, Web API client, sender, scheduler.

Scheduled jobs are stored by reference (module:function) so they survive restarts; they reach
the live process's collaborators through `current()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_sdk import WebClient
from sqlalchemy import Engine, select

from bot.config import Settings
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Sender
from bot.models import Community
from bot.services import hooks as _hooks  # noqa: F401  (registers the capabilities' hooks)
from bot.workspaces import Workspaces

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: SessionFactory
    client: WebClient
    sender: Sender
    extras: dict[str, Any] = field(default_factory=dict)
    #: Set when installed through OAuth (any number of workspaces); None with SLACK_BOT_TOKEN.
    workspaces: Workspaces | None = None
    #: SLACK_BOT_TOKEN's workspace uninstalled Kettle or revoked the token (Slack said so).
    token_dead: bool = False

    def client_for(self, team_id: str | None) -> WebClient | None:
        """The Web API client for a workspace: the one client of a SLACK_BOT_TOKEN install; in
        OAuth mode the team's own (its token rotated as needed), None where not installed."""
        if self.workspaces is None:
            return None if self.token_dead else self.client
        return self.workspaces.client_for(team_id)

    def sender_for(self, team_id: str | None) -> Sender | None:
        """The ledger sender for a workspace (see `client_for`); None where not installed."""
        if self.workspaces is None:
            return None if self.token_dead else self.sender
        return self.workspaces.sender_for(team_id)

    def token_died(self) -> None:
        """SLACK_BOT_TOKEN no longer works: jobs stop trying it until Kettle restarts."""
        if not self.token_dead:
            self.token_dead = True
            log.warning(
                "Slack says SLACK_BOT_TOKEN no longer works (Kettle was uninstalled or its token "
                "revoked): scheduled jobs are skipped; install Kettle again and restart it"
            )

    def teams_of(self, community_ids: Iterable[int]) -> dict[int, str | None]:
        """Each community's workspace (Community.team_id)."""
        ids = list(dict.fromkeys(community_ids))
        if not ids:
            return {}
        with unit_of_work(self.session_factory) as session:
            rows = session.execute(
                select(Community.id, Community.team_id).where(Community.id.in_(ids))
            ).all()
        return {community_id: team_id for community_id, team_id in rows}

    def router(self, model: Any) -> Callable[[int], Sender | None]:
        """For a row of `model` (one with a community_id), by its id: the sender of its
        community's workspace, or None where Kettle is not installed."""
        if self.workspaces is None:
            return lambda _row_id: self.sender_for(None)

        def route(row_id: int) -> Sender | None:
            with unit_of_work(self.session_factory) as session:
                community_id = session.scalar(select(model.community_id).where(model.id == row_id))
            return self.sender_for_community(community_id) if community_id else None

        return route

    def sender_for_community(self, community_id: int) -> Sender | None:
        if self.workspaces is None:
            return self.sender_for(None)
        return self.sender_for(self.teams_of([community_id]).get(community_id))


Route = Callable[[int], Sender | None]
"""A row's sender by the row's id: its community's workspace's; None where not installed."""
Routing = Route | Sender  # a Sender: the same one for every row
Row = TypeVar("Row", bound=tuple[Any, ...])


def routed(route: Routing, rows: Iterable[Row]) -> Iterator[tuple[Sender, Row]]:
    """Each row (its first item the id `route` takes) with its sender; rows of a workspace
    without Kettle are skipped (the log has said so once). A plain Sender sends every row."""
    for row in rows:
        sender = route if isinstance(route, Sender) else route(row[0])
        if sender is not None:
            yield sender, row


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
