"""Installing Kettle in any number of workspaces: Bolt's OAuth flow on Kettle's database.

`GET /slack/install` is the "Add to Slack" page (it issues a one-use state, kept in the
database and in a cookie); Slack sends the installer back to `GET /slack/oauth_redirect` with a
code, which Bolt exchanges (oauth.v2.access) and stores in slack_sdk's SQLAlchemy installation
store. A link used twice, too old, or opened in another browser gets a page that says so.

A workspace that uninstalls Kettle or revokes its token is never left half-working.
`app_uninstalled`: its tokens are forgotten and its data kept or deleted as the operator set
KETTLE_ON_UNINSTALL (keep: its CoPs wait, untouched, for Kettle to be installed again; delete:
its communities and everything of theirs are deleted). `tokens_revoked` (the bot token): its
tokens are forgotten and its data kept, since it may install Kettle again at once. Either way
its jobs skip it from then on, saying so once in the log. Slack sends these with no person
behind them; they change nothing anyone could see.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient

from bot.config import INSTALL_PATH, OAUTH_REDIRECT_PATH, Settings
from bot.db import SessionFactory
from bot.manifest import BOT_SCOPES
from bot.workspaces import STATE_SECONDS, Workspaces, forget_workspace_data
from handlers import registry

log = logging.getLogger("kettle.install")

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em;
line-height:1.5;color:#2b2118}}h1{{color:#6b4f3a}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def _words() -> dict[str, str]:
    import prompts

    return dict(prompts.load("kettle")["install"])


def page(title: str, *paragraphs: str, link: tuple[str, str] | None = None) -> str:
    """A small page of plain words (everything escaped)."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    if link is not None:
        href, text = link
        body += f'<p><a href="{html.escape(href)}">{html.escape(text)}</a></p>'
    return _PAGE.format(title=html.escape(title), body=body)


def _html(status: int, body: str, *, cookie: str | None = None) -> BoltResponse:
    headers: dict[str, Any] = {"Content-Type": "text/html; charset=utf-8"}
    if cookie is not None:
        headers["Set-Cookie"] = cookie
    return BoltResponse(status=status, body=body, headers=headers)


def not_installed_message(settings: Settings) -> str:
    """What Slack shows someone whose workspace no longer has Kettle installed."""
    where = f" at {settings.public_url}{INSTALL_PATH}" if settings.public_url else ""
    return _words()["not_installed"].format(where=where)


class KettleOAuthFlow(OAuthFlow):
    """Bolt's OAuth flow, with Kettle's own "Add to Slack" page."""

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        words = _words()
        title = words["title"]
        button = (
            f'<p><a href="{html.escape(url)}"><img alt="{html.escape(words["button"])}" '
            'height="40" width="139" src="https://platform.slack-edge.com/img/add_to_slack.png" '
            'srcset="https://platform.slack-edge.com/img/add_to_slack.png 1x, '
            'https://platform.slack-edge.com/img/add_to_slack@2x.png 2x"></a></p>'
        )
        return _PAGE.format(
            title=html.escape(title), body=f"<p>{html.escape(words['intro'])}</p>{button}"
        )


def _success(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    # Not who installed it: a log outlives forget-me, and the installer's id is theirs.
    log.info("installed in workspace %s (%s)", installation.team_id, installation.team_name)
    words = _words()
    team = installation.team_name or installation.team_id or "your workspace"
    body = page(words["done_title"].format(team=team), words["done"])
    return _html(200, body, cookie=args.settings.state_utils.build_set_cookie_for_deletion())


def _failure(args: FailureArgs) -> BoltResponse:
    words = _words()
    reason = args.reason
    log.info("an install did not finish: %s", reason)
    text = words.get(reason) if reason in _REASONS else None
    if text is None:
        text = words["other"].format(reason=reason)
    body = page(words["failed_title"], text, link=(INSTALL_PATH, words["start_again"]))
    status = args.suggested_status_code if args.suggested_status_code >= 400 else 200
    return _html(status, body, cookie=args.settings.state_utils.build_set_cookie_for_deletion())


_REASONS = {
    "invalid_state",
    "invalid_browser",
    "access_denied",
    "missing_code",
    "invalid_code",
    "storage_error",
}


def oauth_flow(settings: Settings, workspaces: Workspaces, *, client: WebClient) -> OAuthFlow:
    """The flow Bolt runs for the two install paths; `client` reaches SLACK_API_URL."""
    oauth_settings = OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=sorted(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=OAUTH_REDIRECT_PATH,
        authorization_url=settings.authorize_url,
        installation_store=workspaces.store,
        state_store=workspaces.states,
        state_expiration_seconds=STATE_SECONDS,
        callback_options=CallbackOptions(success=_success, failure=_failure),
        logger=logging.getLogger("kettle.install"),
    )
    return KettleOAuthFlow(client=client, logger=log, settings=oauth_settings)


def _token_died() -> None:
    """One workspace, by SLACK_BOT_TOKEN: the running Kettle stops using the dead token."""
    from bot import runtime

    try:
        runtime.current().token_died()
    except RuntimeError:
        log.warning("SLACK_BOT_TOKEN no longer works: install Kettle again and restart it")


def register_install_events(
    app: App, session_factory: SessionFactory, settings: Settings, workspaces: Workspaces | None
) -> None:
    def app_uninstalled(context: BoltContext) -> None:
        team_id = context.team_id
        if not team_id:
            return
        if workspaces is not None:
            workspaces.forget_tokens(team_id)
        if settings.on_uninstall == "delete":
            deleted = forget_workspace_data(
                session_factory, team_id, only_workspace=workspaces is None
            )
            log.warning(
                "Kettle was uninstalled from workspace %s: its %d communities and their data "
                "are deleted (KETTLE_ON_UNINSTALL=delete)",
                team_id,
                deleted,
            )
        else:
            log.warning(
                "Kettle was uninstalled from workspace %s: its data is kept until it is "
                "installed again (KETTLE_ON_UNINSTALL=keep)",
                team_id,
            )
        if workspaces is None:
            _token_died()

    def tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
        team_id = context.team_id
        bots = (event.get("tokens") or {}).get("bot") or []
        if not team_id or not bots:
            return  # Kettle asks for no user tokens; only its bot token matters
        if workspaces is not None:
            workspaces.forget_tokens(team_id)
        else:
            _token_died()
        log.warning(
            "the bot token of workspace %s was revoked: its data is kept; its jobs wait until "
            "Kettle is installed there again",
            team_id,
        )

    registry.event(app, "app_uninstalled", app_uninstalled)
    registry.event(app, "tokens_revoked", tokens_revoked)
