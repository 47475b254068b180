"""The HTTP surface: POST /slack/events (Bolt's WSGI adapter, its bodies parsed by
bot/payloads.py), GET /healthz and, installed through OAuth, GET /slack/install and
/slack/oauth_redirect (Bolt's OAuth flow); served by Waitress."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from sqlalchemy import Engine

from bot import __version__
from bot.acks import AcksFirst
from bot.config import INSTALL_PATH, OAUTH_REDIRECT_PATH
from bot.db import database_ok
from bot.payloads import KettleRequestHandler

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
EVENTS_PATH = "/slack/events"
MAX_BODY = 1_000_000  # Slack's payloads are far smaller; anything bigger is not from Slack


def make_wsgi_app(
    app: App, engine: Engine, *, scheduler_state: Callable[[], str] = lambda: "off"
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    slack_handler = KettleRequestHandler(app, path=EVENTS_PATH)
    acks_first: AcksFirst | None = getattr(app, "kettle_acks_first", None)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            ok, detail = database_ok(engine)
            status = "200 OK" if ok else "503 Service Unavailable"
            body = json.dumps(
                {
                    "status": "ok" if ok else "unavailable",
                    "database": detail,
                    "scheduler": scheduler_state(),
                    "version": __version__,
                }
            ).encode()
            start_response(status, [("Content-Type", "application/json")])
            return [body]
        if path in (INSTALL_PATH, OAUTH_REDIRECT_PATH) and app.oauth_flow is not None:
            if method not in ("GET", "HEAD"):
                start_response("405 Method Not Allowed", [("Allow", "GET")])
                return [b"method not allowed"]
            return slack_handler(environ, start_response)  # type: ignore[no-any-return]
        if path == EVENTS_PATH and method == "POST":
            declared = str(environ.get("CONTENT_LENGTH") or "0").strip()
            if not (declared.isascii() and declared.isdigit()):
                # Not a length at all: the request is malformed, not Kettle's failure.
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [b"Content-Length must be a number"]
            length = int(declared)
            if length > MAX_BODY:
                start_response("413 Payload Too Large", [("Content-Type", "text/plain")])
                return [b"too large"]
            if acks_first is None:
                return slack_handler(environ, start_response)  # type: ignore[no-any-return]
            with acks_first.answering():  # work after other acks waits until this one is sent
                return slack_handler(environ, start_response)  # type: ignore[no-any-return]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return wsgi
