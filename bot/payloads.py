"""Slack's request bodies, parsed as Bolt parses them, at a fraction of the interpreter's time.

Slack sends every interaction (a form's submission, a button, a shortcut) as one form field,
`payload=`, holding the JSON percent-encoded: a story form's submission is some 7 KB with over a
thousand `%XX` escapes. The standard library decodes those one at a time in Python
(`urllib.parse.unquote_to_bytes`), which cost 0.35 ms of every such request's time before its
ack: more than Kettle's own read of who is asking, and under load every other request waiting
for its ack waits for the interpreter too. Here the escapes are decoded by the interpreter's C
codec for `\\xXX` escapes, with the same result; anything that codec would read differently
(a backslash, a malformed escape, text that is not UTF-8, a body that is not ASCII) is left to
the standard library, so no body is ever parsed differently from Bolt's own `parse_body`.

`KettleRequest` is Bolt's `BoltRequest` with its body parsed here; `KettleRequestHandler`, Bolt's
WSGI handler that makes them (bot/web.py). The raw body is kept as it came, for Bolt's signature
check.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.context import BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context, parse_body
from slack_bolt.response import BoltResponse


def unquote_form_value(value: str) -> str:
    """`urllib.parse.unquote_plus(value)`, exactly, decoded in C where it can be."""
    if "\\" in value or not value.isascii():
        return unquote_plus(value)
    try:
        escaped = value.replace("+", " ").replace("%", "\\x").encode("ascii")
        return escaped.decode("unicode_escape").encode("latin-1").decode("utf-8")
    except UnicodeError:  # a malformed escape, or bytes that are not UTF-8
        return unquote_plus(value)


def parse_request_body(body: str, content_type: str | None) -> dict[str, Any]:
    """What `slack_bolt.request.internals.parse_body` makes of `body`: the interaction payload of
    a `payload=` form decoded here; any other body (JSON events, slash commands) by Bolt."""
    name, equals, value = body.partition("=")
    if (
        name == "payload"
        and equals
        and "&" not in value
        and content_type != "application/json"
        and not body.startswith("{")
    ):
        payload = json.loads(unquote_form_value(value))
        return payload if isinstance(payload, dict) else parse_body(body, content_type)
    return parse_body(body, content_type)


class KettleRequest(BoltRequest):
    """An HTTP request to the app, its body parsed by `parse_request_body`."""

    def __init__(
        self,
        *,
        body: str,
        query: str | None = None,
        headers: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(body="", query=query, headers=headers)  # Bolt parses nothing here
        self.raw_body = body
        self.body = parse_request_body(body, self.content_type)
        self.context = build_context(BoltContext({}), self.body)


class KettleRequestHandler(SlackRequestHandler):
    """Bolt's WSGI handler, dispatching KettleRequests."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        return self.app.dispatch(
            KettleRequest(
                body=request.get_body(),
                query=request.query_string,
                headers=request.get_headers(),
            )
        )
