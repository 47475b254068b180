"""Kettle running for real on a loopback port, driven by signed requests, talking to a fake Slack."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from waitress.server import create_server

from bot.app import create_app
from bot.config import Settings
from bot.db import SessionFactory, unit_of_work
from bot.delivery import PostRateLimiter, Sender
from tests.fakeslack import FakeSlack, SlackSigner


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt runs listeners here after the ack; tests wait until it is idle."""

    def __init__(self, max_workers: int = 8, thread_name_prefix: str = "listener") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._pending = 0
        self._cond = threading.Condition()
        self.errors: list[BaseException] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._cond:
            self._pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[Any]) -> None:
        if future.exception() is not None:
            self.errors.append(future.exception())  # type: ignore[arg-type]
        with self._cond:
            self._pending -= 1
            self._cond.notify_all()

    @property
    def idle(self) -> bool:
        with self._cond:
            return self._pending == 0

    def wait_idle(self, timeout: float = 30.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._pending == 0, timeout=timeout):
                raise TimeoutError("listeners still running")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


class Kettle:
    """The app under test, served by Waitress on a free loopback port."""

    def __init__(
        self,
        settings: Settings,
        fake: FakeSlack,
        session_factory: SessionFactory,
        client: Any,
        sender: Sender | None = None,
        workspaces: Any = None,
    ) -> None:
        self.settings = settings
        self.fake = fake
        self.session_factory = session_factory
        self.client = client
        self.sender = sender or Sender(client, session_factory, limiter=PostRateLimiter(0))
        self.executor = TrackingExecutor()
        self.background = TrackingExecutor(max_workers=4, thread_name_prefix="after-ack")
        self.downloads = TrackingExecutor(max_workers=2, thread_name_prefix="file-download")
        self.app = create_app(
            settings,
            client=client,
            session_factory=session_factory,
            sender=self.sender,
            listener_executor=self.executor,
            background_executor=self.background,
            download_executor=self.downloads,
            workspaces=workspaces,
        )
        self.signer = SlackSigner(settings.signing_secret)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, engine: Any) -> Kettle:
        from bot.web import make_wsgi_app

        wsgi = make_wsgi_app(self.app, engine)
        self._server = create_server(wsgi, host="127.0.0.1", port=0, threads=8)
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        try:
            self.settle()
        finally:
            if self._server is not None:
                self._stopping.set()
                if self._thread is not None:
                    self._thread.join(timeout=5)
            self.executor.shutdown(wait=True)
            self.background.shutdown(wait=True)
            self.downloads.shutdown(wait=True)

    def _serve(self) -> None:
        """Waitress's loop, one poll at a time, so that stopping never closes a polled socket."""
        server = self._server
        while not self._stopping.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)
        server.close()
        server.task_dispatcher.shutdown()

    def settle(self, timeout: float = 30.0) -> None:
        """Wait for work Kettle does after acknowledging (listeners, lazy posts, downloads)."""
        deadline = time.monotonic() + timeout
        pools = (self.executor, self.background, self.downloads)
        while True:
            for pool in pools:
                pool.wait_idle(max(0.01, deadline - time.monotonic()))
            if all(pool.idle for pool in pools):
                return

    @contextmanager
    def db(self) -> Iterator[Session]:
        with unit_of_work(self.session_factory) as session:
            yield session

    def get(self, url: str, *, cookie: str | None = None) -> Reply:
        """A browser's GET (redirects not followed), to Kettle or to the fake's web pages."""
        return http_get(url if "://" in url else self.url + url, cookie=cookie)

    # -- requests, signed as Slack signs them ---------------------------------------------
    def send(self, request: Any, *, settle: bool = True) -> Reply:
        status, headers, text = request.post(self.url + "/slack/events")
        if settle:
            self.settle()
        return Reply(status, dict(headers), text)

    def command(
        self, user: str, command: str, text: str = "", *, channel: str = "C0GENERAL", **kw: Any
    ) -> Reply:
        request = self.signer.slash_command(
            command,
            text,
            user,
            channel_id=channel,
            trigger_id=self.fake.issue_trigger_id(),
            response_url=self.fake.new_response_url(),
        )
        return self.send(request, **kw)

    def click(
        self,
        user: str,
        action_id: str,
        *,
        value: str | None = None,
        block_id: str = "b",
        selected_option: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
        channel: str | None = None,
        **kw: Any,
    ) -> Reply:
        action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": "button"}
        if value is not None:
            action["value"] = value
        if selected_option is not None:
            action.update(type="static_select", selected_option=selected_option)
        extra: dict[str, Any] = {}
        if view is not None:
            extra["view"] = view
        if message is not None:
            extra["message"] = message
        if channel is not None:
            extra["channel_id"] = channel
        if view is None:
            extra["response_url"] = self.fake.new_response_url()
        request = self.signer.block_actions(
            user, actions=[action], trigger_id=self.fake.issue_trigger_id(), **extra
        )
        return self.send(request, **kw)

    def submit(self, user: str, view: dict[str, Any], values: dict[str, Any], **kw: Any) -> Reply:
        return self.send(self.signer.view_submission(user, view, values), **kw)

    def event(self, event: dict[str, Any], **kw: Any) -> Reply:
        settle = kw.pop("settle", True)
        return self.send(self.signer.event(event, **kw), settle=settle)


def text_value(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def select_value(value: str | None) -> dict[str, Any]:
    option = (
        None if value is None else {"value": value, "text": {"type": "plain_text", "text": value}}
    )
    return {"type": "static_select", "selected_option": option}


def checkbox_values(*values: str) -> dict[str, Any]:
    return {
        "type": "checkboxes",
        "selected_options": [
            {"value": v, "text": {"type": "plain_text", "text": v}} for v in values
        ],
    }


def state(**blocks: dict[str, Any]) -> dict[str, Any]:
    """{block_id: element_state} → Slack's state.values, with Kettle's single action_id per block."""
    return {block_id: {"value": element} for block_id, element in blocks.items()}


def http_get(url: str, *, cookie: str | None = None) -> Reply:
    """GET as a browser does, one hop: the Location of a redirect is the caller's to follow."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    headers = {"User-Agent": "Mozilla/5.0 (a browser)"}
    if cookie:
        headers["Cookie"] = cookie
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("GET", path or "/", headers=headers)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()
