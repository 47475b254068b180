"""The workspaces Kettle is installed in, when installed through Slack's OAuth flow.

Installations live in slack_sdk's SQLAlchemy installation store on Kettle's own database (the
tables of `bot/models/workspaces.py`); Bolt's OAuth flow writes them and its authorize step reads
them for each request. Scheduled work reaches the same installations through `Workspaces`: a
Web API client and a ledger sender for each team, its token rotated before it expires (one
rotation at a time per team in a process, so two jobs never spend the same refresh token).

A workspace that uninstalled Kettle or revoked its token has no installation: its jobs are
skipped, and the log says so once (again only after it is installed anew).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_sdk import WebClient
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine, delete, or_, select

from bot.config import Settings
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Sender
from bot.models import Community, Delivery, slack_bots, slack_installations
from bot.models.workspaces import (
    BOTS_TABLE,
    INSTALLATIONS_TABLE,
    OAUTH_STATES_TABLE,
    SECRET_LEFT_OUT,
)

log = logging.getLogger(__name__)

#: Rotate a token this long before it expires (Slack's tokens live 12 hours): a job or a request
#: never starts with a token that could die halfway.
ROTATE_MINUTES = 120
#: How long an "Add to Slack" link stays good: ten minutes, as Slack's own examples use.
STATE_SECONDS = 600

ClientFactory = Callable[[str | None], WebClient]


class InstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, to which a token left out of a backup (`SECRET_LEFT_OUT`) is no token:
    a database rebuilt from such a backup has its workspaces installed again through
    /slack/install before any request or job of theirs calls Slack."""

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        bot = super().find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if bot is None or bot.bot_token == SECRET_LEFT_OUT else bot

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = super().find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if found is None or found.bot_token == SECRET_LEFT_OUT else found


class Workspaces:
    """Every installed team's installation, client and sender."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        make_client: ClientFactory,
        base_sender: Sender,
    ) -> None:
        if not (settings.client_id and settings.client_secret):
            raise ValueError("Workspaces need SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
        self.settings = settings
        self.engine = engine
        self.store = InstallationStore(
            client_id=settings.client_id,
            engine=engine,
            bots_table_name=BOTS_TABLE,
            installations_table_name=INSTALLATIONS_TABLE,
            logger=logging.getLogger("kettle.installations"),
        )
        self.states = SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_SECONDS,
            engine=engine,
            table_name=OAUTH_STATES_TABLE,
            logger=logging.getLogger("kettle.installations"),
        )
        self.make_client = make_client
        self.rotator = TokenRotator(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            client=make_client(None),
        )
        self.base_sender = base_sender
        self._lock = threading.Lock()
        self._team_locks: dict[str, threading.Lock] = {}
        self._clients: dict[str, WebClient] = {}
        self._senders: dict[str, Sender] = {}
        self._said_gone: set[str] = set()

    # -- installations -----------------------------------------------------------------------
    def _team_lock(self, team_id: str) -> threading.Lock:
        with self._lock:
            return self._team_locks.setdefault(team_id, threading.Lock())

    def fresh(self, team_id: str) -> Installation | None:
        """The team's installation, its bot token rotated first if it expires soon."""
        with self._team_lock(team_id):
            found = self.store.find_installation(enterprise_id=None, team_id=team_id)
            if found is None or not found.bot_token:
                return None
            try:
                rotated = self.rotator.perform_token_rotation(
                    installation=found, minutes_before_expiration=ROTATE_MINUTES
                )
            except SlackTokenRotationError:
                # Another replica may have spent the refresh token a moment ago: use its token.
                again = self.store.find_installation(enterprise_id=None, team_id=team_id)
                if again is not None and again.bot_token not in (None, found.bot_token):
                    return again
                raise
            if rotated is None:
                return found
            self.store.save(rotated)
            log.info("rotated the bot token of workspace %s", team_id)
            return rotated

    def rotate_if_needed(self, installation: Installation) -> Installation | None:
        """Bolt's authorize step, serialised with the jobs' rotations: read the installation
        again under the team's lock (another thread may have rotated it a moment ago)."""
        if installation.team_id is None:
            return None
        before = installation.bot_token
        fresh = self.fresh(installation.team_id)
        return fresh if fresh is not None and fresh.bot_token != before else None

    def forget_tokens(self, team_id: str) -> None:
        """The team's tokens are dead (uninstalled, or revoked): drop every stored copy."""
        with self._team_lock(team_id):
            self.store.delete_bot(enterprise_id=None, team_id=team_id)
            self.store.delete_installation(enterprise_id=None, team_id=team_id)
        with self._lock:
            self._clients.pop(team_id, None)
            self._senders.pop(team_id, None)

    def installed(self) -> dict[str, str]:
        """{team id: its name} of every workspace with a bot token installed, by id."""
        with self.engine.connect() as conn:
            teams = set(
                conn.scalars(
                    select(slack_bots.c.team_id).where(
                        slack_bots.c.team_id.is_not(None),
                        slack_bots.c.bot_token.is_not(None),
                        slack_bots.c.bot_token != SECRET_LEFT_OUT,
                    )
                )
            )
            names = dict(
                conn.execute(
                    select(slack_installations.c.team_id, slack_installations.c.team_name)
                    .where(slack_installations.c.team_id.in_(sorted(teams)))
                    .order_by(slack_installations.c.installed_at)
                ).all()
            )
        return {team: str(names.get(team) or team) for team in sorted(teams)}

    # -- clients and senders -------------------------------------------------------------------
    def client_for(self, team_id: str | None) -> WebClient | None:
        """A Web API client with the team's current bot token; None (said once in the log) when
        Kettle is not installed there."""
        installation: Installation | None = None
        if team_id:
            try:
                installation = self.fresh(team_id)
            except SlackTokenRotationError as exc:
                log.warning("could not rotate the token of workspace %s: %s", team_id, exc)
        if installation is None or not installation.bot_token:
            self._say_gone(team_id)
            return None
        assert team_id is not None
        with self._lock:
            self._said_gone.discard(team_id)
            client = self._clients.get(team_id)
            if client is None:
                client = self._clients[team_id] = self.make_client(installation.bot_token)
            else:
                client.token = installation.bot_token
        return client

    def sender_for(self, team_id: str | None) -> Sender | None:
        client = self.client_for(team_id)
        if client is None or team_id is None:
            return None
        with self._lock:
            sender = self._senders.get(team_id)
            if sender is None:
                sender = self._senders[team_id] = self.base_sender.for_team(team_id, client)
        return sender

    def request_sender(self, team_id: str, token: str) -> Sender:
        """The team's sender for a request Bolt has authorized with `token` (no lookup)."""
        with self._lock:
            client = self._clients.get(team_id)
            if client is None:
                client = self._clients[team_id] = self.make_client(token)
            else:
                client.token = token
            sender = self._senders.get(team_id)
            if sender is None:
                sender = self._senders[team_id] = self.base_sender.for_team(team_id, client)
            return sender

    def _say_gone(self, team_id: str | None) -> None:
        key = team_id or ""
        with self._lock:
            if key in self._said_gone:
                return
            self._said_gone.add(key)
        if team_id:
            log.warning(
                "Kettle is not installed in workspace %s (uninstalled, or its token revoked): "
                "its jobs are skipped until it is installed again",
                team_id,
            )
        else:
            log.warning(
                "a community belongs to no workspace: its jobs are skipped until a workspace "
                "installs Kettle and sets it up"
            )


class RotatingAuthorize(InstallationStoreAuthorize):
    """Bolt's own authorize for installations, with its token rotation serialised with the
    jobs' (`Workspaces.rotate_if_needed`), so a request and a job never both spend one refresh
    token."""

    def __init__(self, workspaces: Workspaces, *, client: WebClient) -> None:
        settings = workspaces.settings
        super().__init__(
            logger=logging.getLogger("kettle.authorize"),
            installation_store=workspaces.store,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            token_rotation_expiration_minutes=ROTATE_MINUTES,
            bot_only=False,
            # auth.test once per token, not once per request: a revoked or uninstalled
            # workspace has no installation, so a cached answer is never used for it.
            cache_enabled=True,
            client=client,
        )
        self.workspaces = workspaces

    def _rotate_and_save_tokens_if_necessary(
        self, installation: Installation | None
    ) -> Installation | None:
        if installation is None or installation.bot_refresh_token is None:
            return None
        return self.workspaces.rotate_if_needed(installation)


def forget_workspace_data(
    session_factory: SessionFactory, team_id: str, *, only_workspace: bool = False
) -> int:
    """KETTLE_ON_UNINSTALL=delete: the team's communities and everything of theirs (every
    community-owned row goes with its community), and its messages still waiting to be sent.
    `only_workspace` (a SLACK_BOT_TOKEN install): every community and message is that team's,
    whether or not it names it. Returns how many communities were deleted."""
    mine = [Community.team_id == team_id]
    sends = [Delivery.team_id == team_id]
    if only_workspace:
        mine, sends = (
            [or_(*mine, Community.team_id.is_(None))],
            [or_(*sends, Delivery.team_id.is_(None))],
        )
    with unit_of_work(session_factory) as session:
        ids = list(session.scalars(select(Community.id).where(*mine)))
        session.execute(delete(Delivery).where(*sends))
        # The database's ON DELETE CASCADE takes every community-owned row with it.
        session.execute(delete(Community).where(Community.id.in_(ids)))
    return len(ids)
