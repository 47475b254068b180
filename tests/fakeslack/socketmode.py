"""Slack's Socket Mode, faked on loopback: ``apps.connections.open`` and the WebSocket link.

The app calls ``apps.connections.open`` with its app-level token (``xapp-…``) and gets a
single-use ``ws://127.0.0.1:<port>/link/?ticket=…&app_id=…`` URL served by the same HTTP server
as the Web API. The link speaks enough RFC 6455 for ``slack_sdk``'s built-in client: the
upgrade handshake, masked client frames, unmasked server frames, text, ping/pong and close.

On connect the fake sends ``{"type": "hello", ...}`` as Slack does; tests then push envelopes
(``slash_commands``, ``interactive``, ``events_api``) with :meth:`SocketMode.send` and read the
app's acknowledgements ``{"envelope_id", "payload"?}`` with :meth:`SocketMode.wait_for_ack`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

    from .server import FakeSlack

__all__ = ["SocketConnection", "SocketMode"]

JSON = dict[str, Any]

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")
# Interactive payloads whose acknowledgement may carry a response (errors, update, options...).
_INTERACTIVE_WITH_RESPONSE = ("view_submission", "block_suggestion")


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key`` (RFC 6455 §4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


def encode_frame(opcode: int, payload: bytes, *, mask: bytes | None = None) -> bytes:
    """One FIN frame. Servers never mask; pass ``mask`` only to play a client."""
    head = bytes([0x80 | opcode])
    bit = 0x80 if mask is not None else 0
    n = len(payload)
    if n <= 125:
        head += bytes([bit | n])
    elif n <= 0xFFFF:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if mask is not None:
        head += mask
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + payload


class _Closed(Exception):
    pass


class SocketConnection:
    """One WebSocket link from the app, as the fake sees it."""

    def __init__(self, number: int, ticket: str, handler: BaseHTTPRequestHandler) -> None:
        self.number = number
        self.ticket = ticket
        self._h = handler
        self._send_lock = threading.Lock()
        self.open = True
        self.close_code: int | None = None
        self.pings: list[bytes] = []
        self.pongs: list[bytes] = []
        self.told_to_disconnect = False

    def send_frame(self, opcode: int, payload: bytes) -> None:
        with self._send_lock:
            self._write(opcode, payload)

    def _write(self, opcode: int, payload: bytes) -> None:
        if not self.open and opcode != OP_CLOSE:
            raise _Closed
        try:
            self._h.connection.sendall(encode_frame(opcode, payload))
        except OSError as exc:
            self.open = False
            raise _Closed from exc

    def accept(self, register: Callable[[], JSON], answer: Callable[[], None]) -> None:
        """Make the link known (``register`` returns its hello), answer the upgrade (``answer``
        writes the 101) and send the hello, letting nothing else down the link meanwhile.

        The app's connect() returns as soon as it reads the 101, and a test may push an
        envelope that very moment: the link is found, and the envelope waits for the hello,
        as on Slack's links."""
        with self._send_lock:
            hello = register()
            try:
                answer()
            except OSError as exc:
                self.open = False
                raise _Closed from exc
            self._h.connection.settimeout(None)  # a link stays open however long it idles
            self._write(OP_TEXT, json.dumps(hello).encode())

    def send_json(self, message: JSON) -> None:
        self.send_frame(OP_TEXT, json.dumps(message).encode())

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Server-initiated close: a close frame, then the TCP connection goes."""
        if self.open:
            with contextlib.suppress(_Closed):
                self.send_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode())
        self.drop()

    def drop(self) -> None:
        self.open = False
        with contextlib.suppress(OSError):
            self._h.connection.shutdown(socket.SHUT_RDWR)

    def read_frame(self) -> tuple[int, bool, bytes, bool]:
        """``(opcode, fin, payload, masked)`` of the next frame; raises ``_Closed`` at EOF."""
        rfile = self._h.rfile

        def exactly(n: int) -> bytes:
            try:
                data = rfile.read(n) if n else b""
            except OSError as exc:  # reset by the client: as closed as an EOF
                raise _Closed from exc
            if len(data) < n:
                raise _Closed
            return data

        b1, b2 = exactly(2)
        fin, opcode = bool(b1 & 0x80), b1 & 0x0F
        masked, n = bool(b2 & 0x80), b2 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", exactly(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", exactly(8))
        mask = exactly(4) if masked else b""
        data = exactly(n)
        if masked:
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        return opcode, fin, data, masked


class SocketMode:
    """Socket Mode state for one :class:`FakeSlack`; reach it as ``fake.socket_mode``."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.cond = threading.Condition(threading.RLock())
        self._tickets: set[str] = set()
        self._numbers = itertools.count(1)
        self.connections: list[SocketConnection] = []
        #: Every envelope pushed, by envelope id.
        self.envelopes: dict[str, JSON] = {}
        #: The app's acknowledgements, by envelope id, exactly as received.
        self.acks: dict[str, JSON] = {}
        #: Every text message the app sent, parsed, in order.
        self.received: list[JSON] = []
        #: Breaches of the protocol by the app (unmasked frames, unknown or repeated acks...).
        self.protocol_errors: list[str] = []

    # ------------------------------------------------------------------ Web API
    def connections_open(self, params: JSON) -> JSON:
        """``apps.connections.open``: a fresh single-use WebSocket URL."""
        ticket = str(uuid.uuid4())
        with self.cond:
            self._tickets.add(ticket)
        port = self.fake.port
        return {"url": f"ws://127.0.0.1:{port}/link/?ticket={ticket}&app_id={self.fake.app_id}"}

    # ------------------------------------------------------------------ the link
    def handle_upgrade(self, h: BaseHTTPRequestHandler, query: str) -> None:
        """Serve ``GET /link/``: the RFC 6455 handshake, then frames until either side closes."""
        h.close_connection = True
        ticket = dict(parse_qsl(query)).get("ticket", "")
        key = h.headers.get("Sec-WebSocket-Key", "")
        upgrade = (h.headers.get("Upgrade") or "").lower() == "websocket"
        connection_hdr = "upgrade" in (h.headers.get("Connection") or "").lower()
        if (
            not (upgrade and connection_hdr and key)
            or h.headers.get("Sec-WebSocket-Version") != "13"
        ):
            self._refuse(h, 400, b"expected a WebSocket upgrade (version 13)")
            return
        with self.cond:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
        if not valid:
            self._refuse(h, 401, b"invalid or used ticket")
            return

        def answer() -> None:
            h.send_response(101, "Switching Protocols")
            h.send_header("Upgrade", "websocket")
            h.send_header("Connection", "Upgrade")
            h.send_header("Sec-WebSocket-Accept", accept_key(key))
            h.end_headers()
            h.wfile.flush()

        conn = SocketConnection(next(self._numbers), ticket, h)
        retiring: list[SocketConnection] = []

        def register() -> JSON:
            with self.cond:
                retiring.extend(c for c in self.connections if c.open and c.told_to_disconnect)
                self.connections.append(conn)
                live = sum(1 for c in self.connections if c.open) - len(retiring)
                self.cond.notify_all()
            return {
                "type": "hello",
                "num_connections": live,
                "debug_info": {
                    "host": f"applink-fake-{conn.number}",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.fake.app_id},
            }

        try:
            conn.accept(register, answer)
            # Slack retires a link it asked the app to leave once the app has a new one.
            for old in retiring:
                old.close(1000, "refresh")
            self._serve(conn)
        except _Closed:
            pass
        finally:
            conn.drop()
            with self.cond:
                self.cond.notify_all()

    def _refuse(self, h: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(len(body)))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(body)

    def _serve(self, conn: SocketConnection) -> None:
        fragments: list[bytes] = []
        while conn.open:
            opcode, fin, data, masked = conn.read_frame()
            if not masked:
                self._error(f"connection {conn.number}: unmasked frame from the client")
                conn.close(1002, "frames from the client must be masked")
                return
            if opcode == OP_PING:
                conn.pings.append(data)
                conn.send_frame(OP_PONG, data)
            elif opcode == OP_PONG:
                conn.pongs.append(data)
            elif opcode == OP_CLOSE:
                conn.close_code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
                with contextlib.suppress(_Closed):
                    conn.send_frame(OP_CLOSE, data[:2])
                return
            elif opcode in (OP_TEXT, OP_CONTINUATION):
                fragments.append(data)
                if fin:
                    self._on_text(conn, b"".join(fragments))
                    fragments = []
            else:
                self._error(f"connection {conn.number}: unexpected opcode {opcode:#x}")

    def _on_text(self, conn: SocketConnection, raw: bytes) -> None:
        try:
            message = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._error(f"connection {conn.number}: text that is not JSON: {raw[:80]!r}")
            return
        with self.cond:
            self.received.append(message)
            envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
            envelope = self.envelopes.get(str(envelope_id))
            if envelope is None:
                self._error(f"acknowledgement of an unknown envelope: {message!r}")
            elif envelope_id in self.acks:
                self._error(f"envelope {envelope_id} acknowledged twice")
            else:
                if "payload" in message and not envelope["accepts_response_payload"]:
                    self._error(f"envelope {envelope_id} does not accept a response payload")
                self.acks[str(envelope_id)] = message
            self.cond.notify_all()

    def _error(self, text: str) -> None:
        with self.cond:
            self.protocol_errors.append(text)

    # ------------------------------------------------------------------ test helpers
    def live(self) -> list[SocketConnection]:
        with self.cond:
            return [c for c in self.connections if c.open]

    def wait_for_connection(self, count: int = 1, timeout: float = 30.0) -> SocketConnection:
        """Block until ``count`` links have ever been opened and one is live; the newest live."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                live = [c for c in self.connections if c.open and not c.told_to_disconnect]
                if len(self.connections) >= count and live:
                    return live[-1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no live Socket Mode connection #{count}")
                self.cond.wait(left)

    def send(
        self,
        envelope_type: str,
        payload: JSON,
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Push an envelope down the newest live link, as Slack does; returns its envelope id.

        ``accepts_response_payload`` defaults as Slack sets it: true for slash commands,
        ``view_submission`` and ``block_suggestion``; false otherwise. Only ``events_api``
        envelopes carry ``retry_attempt`` and ``retry_reason``.
        """
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope type must be one of {ENVELOPE_TYPES}")
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands" or (
                envelope_type == "interactive" and payload.get("type") in _INTERACTIVE_WITH_RESPONSE
            )
        envelope_id = str(uuid.uuid4())
        envelope: JSON = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        conn = self.wait_for_connection(timeout=0)
        with self.cond:
            self.envelopes[envelope_id] = envelope
        conn.send_json(envelope)
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 30.0) -> JSON:
        """The app's acknowledgement of ``envelope_id``, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while envelope_id not in self.acks:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"envelope {envelope_id} was not acknowledged")
                self.cond.wait(left)
            return dict(self.acks[envelope_id])

    def disconnect(self, reason: str = "refresh_requested") -> SocketConnection:
        """Ask the app to reconnect, as Slack does before recycling a link."""
        conn = self.wait_for_connection(timeout=0)
        conn.told_to_disconnect = True
        conn.send_json(
            {
                "type": "disconnect",
                "reason": reason,
                "debug_info": {"host": f"applink-fake-{conn.number}"},
            }
        )
        return conn

    def close_all(self, code: int = 1001, reason: str = "going away") -> None:
        for conn in self.live():
            conn.close(code, reason)
