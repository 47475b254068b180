"""The app factory: a Bolt App wired to Kettle's database, client, middleware and listeners."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.acks import AcksFirst, AfterAcks, give_prompt_acks
from bot.arguments import bind_arguments_once
from bot.config import Settings
from bot.courier import Courier
from bot.db import SessionFactory
from bot.delivery import Sender
from bot.install import not_installed_message, oauth_flow, register_install_events
from bot.services import hooks as _hooks  # noqa: F401  (registers the capabilities' hooks)
from bot.slack import leveled
from bot.workspaces import RotatingAuthorize, Workspaces
from handlers import register_handlers
from handlers.middleware import make_dedupe, make_viewer_loader
from handlers.registry import match_on_body

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    client: WebClient,
    session_factory: SessionFactory,
    sender: Sender | None = None,
    listener_executor: Executor | None = None,
    background_executor: Executor | None = None,
    download_executor: Executor | None = None,
    workspaces: Workspaces | None = None,
) -> App:
    """Build the app; request verification stays on, so every request must be signed.

    With `workspaces` (OAuth mode) Bolt serves the install pages and authorizes each request
    with its team's installation; `client` then has no token of its own."""
    oauth: dict[str, Any] = {}
    if workspaces is not None:
        oauth = {
            "oauth_flow": oauth_flow(settings, workspaces, client=client),
            "authorize": RotatingAuthorize(workspaces, client=client),
            "user_facing_authorize_error_message": not_installed_message(settings),
        }
    app = App(
        client=client,
        signing_secret=settings.signing_secret,
        token_verification_enabled=False,
        process_before_response=False,
        listener_executor=listener_executor
        or ThreadPoolExecutor(
            max_workers=max(32, settings.threads * 4), thread_name_prefix="listener"
        ),
        logger=leveled("kettle.bolt"),  # Bolt builds no debug lines for a level above DEBUG
        **oauth,
    )
    sender = sender or Sender(client, session_factory)
    # Work after the acknowledgement that can wait (confirmations, App Home refreshes) runs in a
    # small pool of its own, and waits its turn while other requests wait for their acks.
    acks_first = AcksFirst()
    app.kettle_acks_first = acks_first  # type: ignore[attr-defined]  # the web layer counts
    background = AfterAcks(
        background_executor or ThreadPoolExecutor(max_workers=4, thread_name_prefix="after-ack"),
        acks_first,
    )
    # Confirmations queued with a change go at their pace from a heap, not asleep in the pool.
    courier = Courier(background)
    # Fetching the files members send can take minutes; two threads of their own do it, so a
    # large file holds neither a listener (other requests' acks) nor the after-ack pool.
    downloads = download_executor or ThreadPoolExecutor(
        max_workers=2, thread_name_prefix="file-download"
    )

    def provide(context: BoltContext, next: object) -> None:
        context["settings"] = settings
        context["sender"] = sender
        if workspaces is not None and context.team_id and context.client.token:
            # The request's own workspace: its token, as Bolt's authorize found it.
            context["sender"] = workspaces.request_sender(context.team_id, context.client.token)
        # Listeners call Slack with the workspace's own client (connections kept open between
        # calls), not the fresh one Bolt makes for every request.
        context["client"] = context["sender"].client
        context["background"] = background
        context["courier"] = courier
        context["downloads"] = downloads
        next()  # type: ignore[operator]

    give_prompt_acks(app)  # first: every middleware after it sees the request's PromptAck
    app.use(provide)
    app.use(make_dedupe(session_factory))
    app.use(make_viewer_loader(session_factory, by_team=workspaces is not None))
    register_handlers(app)
    register_install_events(app, session_factory, settings, workspaces)
    bind_arguments_once(app)  # every middleware and listener is registered by now
    match_on_body(app)  # last: it routes the listeners as they now are
    return app
