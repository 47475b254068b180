"""A request whose Content-Length is not a number is the sender's mistake: 400, never 500,
whether the HTTP server or Kettle's own WSGI app is the first to read it."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from bot.web import make_wsgi_app
from tests.fakeslack import FakeSlack
from tests.scenario.test_cli import _get, start_serve

BAD_LENGTHS = [b"abc", b"-1", b"1e3", b"12abc", b"5, 5", b"0x10"]


def raw_post(port: int, content_length: bytes) -> bytes:
    """One request written byte for byte, as no HTTP client library would send it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: kettle\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + content_length + b"\r\nConnection: close\r\n\r\n{}"
        )
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    return reply


def test_a_real_kettle_serve_answers_400(tmp_path: Path, fake: FakeSlack) -> None:
    proc, port = start_serve(tmp_path, fake)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if _get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        for length in BAD_LENGTHS:
            status_line = raw_post(port, length).split(b"\r\n", 1)[0]
            assert status_line == b"HTTP/1.1 400 Bad Request", (length, status_line)
        # And it is still serving.
        assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "Traceback" not in output


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "١٢", " "])
def test_kettles_own_app_answers_400_behind_any_server(length: str) -> None:
    """Behind a server that passes the header through unread, Kettle's app says 400 itself."""
    wsgi = make_wsgi_app(None, None)  # type: ignore[arg-type]
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status

    body = b"".join(
        wsgi(
            {"PATH_INFO": "/slack/events", "REQUEST_METHOD": "POST", "CONTENT_LENGTH": length},
            start_response,
        )
    )
    assert seen["status"] == "400 Bad Request"
    assert body == b"Content-Length must be a number"
