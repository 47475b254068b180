"""The app factory: a Bolt App wired to Kettle's database, client, middleware and listeners."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.config import Settings
from bot.db import SessionFactory
from bot.delivery import Sender
from bot.services import hooks as _hooks  # noqa: F401  (registers the capabilities' hooks)
from handlers import register_handlers
from handlers.middleware import make_dedupe, make_viewer_loader

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
) -> App:
    """Build the app; request verification stays on, so every request must be signed."""
    app = App(
        client=client,
        signing_secret=settings.signing_secret,
        token_verification_enabled=False,
        process_before_response=False,
        listener_executor=listener_executor
        or ThreadPoolExecutor(
            max_workers=max(32, settings.threads * 4), thread_name_prefix="listener"
        ),
        logger=logging.getLogger("kettle.bolt"),
    )
    sender = sender or Sender(client, session_factory)
    # Work after the acknowledgement that can wait (confirmations, App Home refreshes) runs in a
    # small pool of its own, so that under load it never delays the next request's ack.
    background = background_executor or ThreadPoolExecutor(
        max_workers=4, thread_name_prefix="after-ack"
    )
    # Fetching the files members send can take minutes; two threads of their own do it, so a
    # large file holds neither a listener (other requests' acks) nor the after-ack pool.
    downloads = download_executor or ThreadPoolExecutor(
        max_workers=2, thread_name_prefix="file-download"
    )

    def provide(context: BoltContext, next: object) -> None:
        context["settings"] = settings
        context["sender"] = sender
        context["background"] = background
        context["downloads"] = downloads
        next()  # type: ignore[operator]

    app.use(provide)
    app.use(make_dedupe(session_factory))
    app.use(make_viewer_loader(session_factory))
    register_handlers(app)
    return app
