"""Slack's OAuth v2 for one distributed app, faked: several workspaces, each installed by a
person who approves on Slack's authorize page, codes exchanged at ``oauth.v2.access``, bot tokens
per workspace and, with token rotation, expiring tokens refreshed with ``grant_type=refresh_token``.

The authorize page knows who is signed in to Slack by the browser's ``d`` cookie (Slack's own
session cookie); the fake's is ``d=<team id>:<user id>``. Approving sends the browser on to the
app's redirect URL with ``code`` and ``state``, as Slack does.
"""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

if TYPE_CHECKING:
    from .server import FakeSlack

JSON = dict[str, Any]

#: Slack's rotating tokens live 12 hours.
TOKEN_LIFETIME = 43_200
#: A code must be exchanged within ten minutes, once.
CODE_LIFETIME = 600


@dataclass
class Team:
    id: str
    name: str
    domain: str
    bot_user_id: str
    bot_id: str


@dataclass
class Token:
    value: str
    team_id: str
    expires_at: float | None = None  # wall clock; None: never (no token rotation)
    revoked: bool = False


@dataclass
class Grant:
    """One workspace's installation of the app: its scopes, installer and current tokens."""

    team_id: str
    installer: str
    scope: str
    refresh_token: str | None = None
    tokens: list[str] = field(default_factory=list)


class OAuthError(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class OAuth:
    """The OAuth side of one app (client id and secret) across several workspaces."""

    def __init__(
        self,
        fake: FakeSlack,
        *,
        client_id: str = "1111111111.2222222222",
        client_secret: str = "c1e9f5b4d3a2c1e9f5b4d3a2c1e9f5b4",
        redirect_urls: tuple[str, ...] = (),
        token_rotation: bool = False,
    ) -> None:
        self.fake = fake
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_urls = list(redirect_urls)
        self.token_rotation = token_rotation
        self.lock = threading.RLock()
        self.teams: dict[str, Team] = {}
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, Token] = {}
        self._codes: dict[str, JSON] = {}
        self._refresh: dict[str, str] = {}  # live refresh token -> team id
        self.exchanges: list[JSON] = []  # every oauth.v2.access, as Slack saw it

    # -- workspaces ------------------------------------------------------------------------
    def add_team(self, team_id: str, name: str, *, bot_user_id: str, bot_id: str) -> Team:
        team = Team(team_id, name, name.lower().replace(" ", "-"), bot_user_id, bot_id)
        with self.lock:
            self.teams[team_id] = team
        return team

    def token_of(self, team_id: str) -> str | None:
        """The workspace's newest live bot token."""
        with self.lock:
            grant = self.grants.get(team_id)
            if grant is None:
                return None
            live = [t for t in grant.tokens if not self.tokens[t].revoked]
            return live[-1] if live else None

    def team_for(self, token: str) -> Team:
        """The workspace a bot token acts in, or Slack's error for it."""
        now = self.fake.wall_clock()
        with self.lock:
            found = self.tokens.get(token)
            if found is None:
                raise OAuthError("invalid_auth")
            if found.revoked:
                raise OAuthError("token_revoked")
            if found.expires_at is not None and now >= found.expires_at:
                raise OAuthError("token_expired")
            return self.teams[found.team_id]

    def knows(self, token: str) -> bool:
        with self.lock:
            return token in self.tokens

    def expire(self, team_id: str, *, in_seconds: float = 0) -> None:
        """Bring the workspace's current token's expiry forward (as time passing would)."""
        with self.lock:
            token = self.token_of(team_id)
            assert token is not None, f"{team_id} has no token"
            self.tokens[token].expires_at = self.fake.wall_clock() + in_seconds

    def uninstall(self, team_id: str) -> None:
        """The workspace removed the app: every token and refresh token dies."""
        with self.lock:
            grant = self.grants.pop(team_id, None)
            if grant is None:
                return
            for token in grant.tokens:
                self.tokens[token].revoked = True
            self._refresh = {r: t for r, t in self._refresh.items() if t != team_id}

    revoke = uninstall  # tokens_revoked for a bot token: the same death, from Kettle's side

    # -- the authorize page ----------------------------------------------------------------
    def authorize(self, query: str, cookie: str | None) -> tuple[int, dict[str, str], bytes]:
        """GET /oauth/v2/authorize: the signed-in person approves at once (a fake's browser
        clicks "Allow"); returns (status, headers, body)."""
        params = dict(parse_qsl(query, keep_blank_values=True))
        if params.get("client_id") != self.client_id:
            return 400, {}, b"<html>Invalid client_id parameter</html>"
        redirect = params.get("redirect_uri") or (
            self.redirect_urls[0] if self.redirect_urls else ""
        )
        if not redirect or (self.redirect_urls and redirect not in self.redirect_urls):
            return 400, {}, b"<html>redirect_uri did not match any configured URIs</html>"
        session = _cookie(cookie or "", "d")
        team_id, _, user_id = session.partition(":")
        if team_id not in self.teams or not user_id:
            return 302, {"Location": f"{self.fake.base_url}/signin"}, b""
        scope = params.get("scope", "")
        code = f"{team_id}.{secrets.token_hex(12)}"
        with self.lock:
            self._codes[code] = {
                "team_id": team_id,
                "user_id": user_id,
                "scope": scope,
                "redirect_uri": params.get("redirect_uri"),
                "issued": self.fake.wall_clock(),
                "used": False,
            }
        query_back = {"code": code, "state": params.get("state", "")}
        sep = "&" if "?" in redirect else "?"
        return 302, {"Location": f"{redirect}{sep}{urlencode(query_back)}"}, b""

    def deny(self, query: str) -> str:
        """The person pressed Cancel: Slack sends them back with error=access_denied."""
        params = dict(parse_qsl(query, keep_blank_values=True))
        redirect = params.get("redirect_uri") or self.redirect_urls[0]
        back = urlencode({"error": "access_denied", "state": params.get("state", "")})
        return f"{redirect}?{back}"

    # -- oauth.v2.access -------------------------------------------------------------------
    def access(self, params: JSON, authorization: str | None) -> JSON:
        client_id, client_secret = _basic(authorization)
        client_id = client_id or params.get("client_id")
        client_secret = client_secret or params.get("client_secret")
        with self.lock:
            self.exchanges.append({k: v for k, v in params.items() if k not in ("client_secret",)})
            if client_id != self.client_id:
                raise OAuthError("invalid_client_id")
            if client_secret != self.client_secret:
                raise OAuthError("bad_client_secret")
            grant_type = params.get("grant_type") or "authorization_code"
            if grant_type == "refresh_token":
                return self._refresh_grant(params)
            if grant_type != "authorization_code":
                raise OAuthError("invalid_grant_type")
            return self._code_grant(params)

    def _code_grant(self, params: JSON) -> JSON:
        code = self._codes.get(str(params.get("code") or ""))
        if code is None or self.fake.wall_clock() - code["issued"] > CODE_LIFETIME:
            raise OAuthError("invalid_code")
        if code["used"]:
            raise OAuthError("invalid_code")
        if code["redirect_uri"] and params.get("redirect_uri") != code["redirect_uri"]:
            raise OAuthError("bad_redirect_uri")
        code["used"] = True
        team = self.teams[code["team_id"]]
        grant = Grant(team.id, code["user_id"], code["scope"])
        old = self.grants.get(team.id)
        if old is not None:  # installed again: the old tokens stop working
            for token in old.tokens:
                self.tokens[token].revoked = True
        self.grants[team.id] = grant
        response = self._bot_response(team, grant)
        response["authed_user"] = {"id": code["user_id"]}
        return response

    def _refresh_grant(self, params: JSON) -> JSON:
        refresh = str(params.get("refresh_token") or "")
        team_id = self._refresh.get(refresh)
        if team_id is None:
            raise OAuthError("invalid_refresh_token")
        del self._refresh[refresh]  # each refresh token is good once
        grant = self.grants[team_id]
        return self._bot_response(self.teams[team_id], grant)

    def _bot_response(self, team: Team, grant: Grant) -> JSON:
        """What Slack answers for a bot install or refresh: oauth.v2.access's documented shape."""
        rotating = self.token_rotation
        prefix = "xoxe.xoxb-" if rotating else "xoxb-"
        value = f"{prefix}{team.id}-{secrets.token_hex(10)}"
        expires = self.fake.wall_clock() + TOKEN_LIFETIME if rotating else None
        self.tokens[value] = Token(value, team.id, expires)
        grant.tokens.append(value)
        response: JSON = {
            "access_token": value,
            "token_type": "bot",
            "scope": grant.scope,
            "bot_user_id": team.bot_user_id,
            "app_id": self.fake.app_id,
            "team": {"name": team.name, "id": team.id},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if rotating:
            refresh = f"xoxe-1-{secrets.token_hex(16)}"
            self._refresh[refresh] = team.id
            grant.refresh_token = refresh
            response["refresh_token"] = refresh
            response["expires_in"] = TOKEN_LIFETIME
        return response


def _basic(authorization: str | None) -> tuple[str | None, str | None]:
    if not authorization or not authorization.lower().startswith("basic "):
        return None, None
    try:
        raw = base64.b64decode(authorization[6:].strip()).decode()
    except ValueError:
        return None, None
    client_id, _, client_secret = raw.partition(":")
    return client_id, client_secret


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""
