"""The fake's Socket Mode against slack_sdk's own built-in client, over loopback."""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from .server import FakeSlack
from .socketmode import OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, accept_key, encode_frame

APP_TOKEN = "xapp-1-A0001-1-test"


@pytest.fixture()
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(app_token=APP_TOKEN) as slack:
        yield slack


class Received:
    """Envelopes the client saw, with a way to wait for the next one."""

    def __init__(self) -> None:
        self.requests: list[SocketModeRequest] = []
        self.raw: list[str] = []
        self.cond = threading.Condition()

    def on_request(self, client: SocketModeClient, req: SocketModeRequest) -> None:
        with self.cond:
            self.requests.append(req)
            self.cond.notify_all()

    def on_message(self, message: str) -> None:
        with self.cond:
            self.raw.append(message)
            self.cond.notify_all()

    def wait(self, predicate: Any, timeout: float = 30.0) -> None:
        with self.cond:
            assert self.cond.wait_for(predicate, timeout), "timed out"


def make_client(fake: FakeSlack, received: Received, **kw: Any) -> SocketModeClient:
    client = SocketModeClient(
        app_token=fake.app_token,
        web_client=WebClient(base_url=fake.api_url),
        logger=logging.getLogger("test.socketmode"),
        on_message_listeners=[received.on_message],
        **kw,
    )
    client.socket_mode_request_listeners.append(received.on_request)
    return client


@pytest.fixture()
def received() -> Received:
    return Received()


@pytest.fixture()
def client(fake: FakeSlack, received: Received) -> Iterator[SocketModeClient]:
    sm = make_client(fake, received)
    sm.connect()
    try:
        yield sm
    finally:
        hang_up(fake, sm)


def hang_up(fake: FakeSlack, sm: SocketModeClient) -> None:
    """Close from the server's side first: the client's reader then stops at once instead of
    waiting out its 3-second receive timeout."""
    sm.auto_reconnect_enabled = False
    fake.socket_mode.close_all()
    sm.close()


def test_connections_open_needs_the_app_level_token(fake: FakeSlack) -> None:
    app = WebClient(base_url=fake.api_url)
    url = app.apps_connections_open(app_token=fake.app_token)["url"]
    assert url.startswith(f"ws://127.0.0.1:{fake.port}/link/?ticket=")
    with pytest.raises(SlackApiError) as refused:
        app.apps_connections_open(app_token=fake.bot_token)
    assert refused.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as wrong:
        app.apps_connections_open(app_token="xapp-1-nope")
    assert wrong.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as bot_only:
        WebClient(token=fake.app_token, base_url=fake.api_url).auth_test()
    assert bot_only.value.response["error"] == "not_allowed_token_type"


def test_hello_then_envelope_then_ack(
    fake: FakeSlack, client: SocketModeClient, received: Received
) -> None:
    assert client.is_connected()
    received.wait(lambda: received.raw)
    hello = json.loads(received.raw[0])
    assert hello["type"] == "hello" and hello["connection_info"]["app_id"] == fake.app_id
    assert hello["num_connections"] == 1

    payload = {"command": "/story", "text": "tea", "user_id": "U1", "trigger_id": "1.2.3"}
    envelope_id = fake.socket_send("slash_commands", payload)
    received.wait(lambda: received.requests)
    req = received.requests[0]
    assert (req.type, req.envelope_id, req.payload) == ("slash_commands", envelope_id, payload)
    assert req.accepts_response_payload is True

    client.send_socket_mode_response(SocketModeResponse(envelope_id, payload={"text": "ok"}))
    ack = fake.wait_for_socket_ack(envelope_id)
    assert ack == {"envelope_id": envelope_id, "payload": {"text": "ok"}}
    assert fake.socket_mode.protocol_errors == []


def test_envelope_shapes_follow_slack(
    fake: FakeSlack, client: SocketModeClient, received: Received
) -> None:
    fake.socket_send("events_api", {"type": "event_callback", "event": {"type": "x"}})
    fake.socket_send("interactive", {"type": "block_actions", "actions": []})
    fake.socket_send("interactive", {"type": "view_submission", "view": {}})
    received.wait(lambda: len(received.requests) == 3)
    raw = [json.loads(m) for m in received.raw if '"envelope_id"' in m]
    events, click, submit = raw
    assert events["retry_attempt"] == 0 and events["retry_reason"] == ""
    assert events["accepts_response_payload"] is False
    assert "retry_attempt" not in click and click["accepts_response_payload"] is False
    assert submit["accepts_response_payload"] is True
    with pytest.raises(ValueError):
        fake.socket_send("hello", {})


def test_large_envelopes_cross_in_many_reads(
    fake: FakeSlack, client: SocketModeClient, received: Received
) -> None:
    text = "x" * 70_000
    envelope_id = fake.socket_send("slash_commands", {"text": text})
    received.wait(lambda: received.requests)
    assert received.requests[0].payload["text"] == text
    client.send_socket_mode_response({"envelope_id": envelope_id, "payload": {"text": text}})
    assert fake.wait_for_socket_ack(envelope_id)["payload"]["text"] == text


def test_payload_on_an_envelope_that_takes_none_is_a_protocol_error(
    fake: FakeSlack, client: SocketModeClient, received: Received
) -> None:
    envelope_id = fake.socket_send("events_api", {"type": "event_callback", "event": {}})
    received.wait(lambda: received.requests)
    client.send_socket_mode_response({"envelope_id": envelope_id, "payload": {"text": "no"}})
    fake.wait_for_socket_ack(envelope_id)
    assert fake.socket_mode.protocol_errors == [
        f"envelope {envelope_id} does not accept a response payload"
    ]


def test_client_pings_are_answered(fake: FakeSlack, client: SocketModeClient) -> None:
    session = client.current_session
    assert session is not None
    conn = fake.socket_mode.wait_for_connection()
    session.check_state()
    with fake.socket_mode.cond:
        assert fake.socket_mode.cond.wait_for(lambda: len(conn.pings) >= 2, 5)
    assert all(p.decode().startswith(session.session_id) for p in conn.pings)


def test_disconnect_message_makes_the_client_reconnect(
    fake: FakeSlack, client: SocketModeClient, received: Received
) -> None:
    first = fake.socket_mode.wait_for_connection()
    fake.socket_disconnect()
    second = fake.socket_mode.wait_for_connection(count=2)
    assert second is not first
    with fake.socket_mode.cond:
        assert fake.socket_mode.cond.wait_for(lambda: not first.open, 5)
    assert len(fake.calls_to("apps.connections.open")) == 2

    envelope_id = fake.socket_send("events_api", {"type": "event_callback", "event": {}})
    received.wait(lambda: received.requests)
    client.send_socket_mode_response({"envelope_id": envelope_id})
    assert fake.wait_for_socket_ack(envelope_id) == {"envelope_id": envelope_id}


def test_server_close_makes_the_client_reconnect(fake: FakeSlack, received: Received) -> None:
    # slack_sdk notices a closed link on its next state check, every ping_interval seconds.
    client = make_client(fake, received, ping_interval=0.2)
    client.connect()
    try:
        first = fake.socket_mode.wait_for_connection()
        first.close(1001, "going away")
        second = fake.socket_mode.wait_for_connection(count=2)
        assert second is not first
        envelope_id = fake.socket_send("events_api", {"type": "event_callback", "event": {}})
        received.wait(lambda: received.requests)
        client.send_socket_mode_response({"envelope_id": envelope_id})
        assert fake.wait_for_socket_ack(envelope_id) == {"envelope_id": envelope_id}
    finally:
        hang_up(fake, client)


# ---------------------------------------------------------------------- raw RFC 6455 checks
def _upgrade(fake: FakeSlack, url: str | None = None) -> socket.socket:
    """A socket that has asked for the upgrade and read nothing yet."""
    url = (
        url
        or WebClient(base_url=fake.api_url).apps_connections_open(app_token=fake.app_token)["url"]
    )
    path = url.split(str(fake.port), 1)[1]
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    sock = socket.create_connection(("127.0.0.1", fake.port), timeout=5)
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    return sock


def _handshake(fake: FakeSlack, url: str | None = None) -> tuple[socket.socket, bytes]:
    sock = _upgrade(fake, url)
    return sock, _read_head(sock)


def _read_head(sock: socket.socket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            break
        head += chunk
    return head


def _read_frame(sock: socket.socket) -> tuple[int, bytes]:
    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            assert chunk, "connection closed"
            data += chunk
        return data

    b1, b2 = exactly(2)
    assert not b2 & 0x80, "server frames are never masked"
    n = b2 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", exactly(2))
    elif n == 127:
        (n,) = struct.unpack("!Q", exactly(8))
    return b1 & 0x0F, exactly(n)


def test_handshake_answers_the_rfc_6455_sample_key(fake: FakeSlack) -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    sock, head = _handshake(fake)
    with sock:
        assert head.startswith(b"HTTP/1.1 101")
        assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head
        opcode, data = _read_frame(sock)
        assert opcode == OP_TEXT and json.loads(data)["type"] == "hello"
        sock.sendall(encode_frame(OP_PING, b"hi", mask=b"\x01\x02\x03\x04"))
        assert _read_frame(sock) == (OP_PONG, b"hi")
        sock.sendall(encode_frame(OP_CLOSE, struct.pack("!H", 1000), mask=b"abcd"))
        assert _read_frame(sock) == (OP_CLOSE, struct.pack("!H", 1000))


def test_an_envelope_pushed_as_the_link_opens_follows_the_101_and_the_hello(
    fake: FakeSlack,
) -> None:
    # The link is known as soon as the upgrade is accepted, before the app has read a byte:
    # what is pushed then waits for the handshake's answer and the hello.
    with _upgrade(fake) as sock:
        fake.socket_mode.wait_for_connection()
        envelope_id = fake.socket_send("events_api", {"type": "event_callback", "event": {}})
        assert _read_head(sock).startswith(b"HTTP/1.1 101")
        opcode, data = _read_frame(sock)
        assert opcode == OP_TEXT and json.loads(data)["type"] == "hello"
        opcode, data = _read_frame(sock)
        assert opcode == OP_TEXT and json.loads(data)["envelope_id"] == envelope_id


def test_tickets_are_single_use_and_unknown_ones_refused(fake: FakeSlack) -> None:
    url = WebClient(base_url=fake.api_url).apps_connections_open(app_token=fake.app_token)["url"]
    sock, head = _handshake(fake, url)
    sock.close()
    assert head.startswith(b"HTTP/1.1 101")
    again, head = _handshake(fake, url)
    again.close()
    assert head.startswith(b"HTTP/1.1 401")
    plain = urllib.request.urlopen  # a GET without the upgrade is refused too
    with pytest.raises(urllib.error.HTTPError) as err:
        plain(f"{fake.base_url}/link/?ticket=x", timeout=5)
    assert err.value.code == 400


def test_unmasked_client_frames_close_the_link(fake: FakeSlack) -> None:
    sock, _ = _handshake(fake)
    with sock:
        _read_frame(sock)  # hello
        sock.sendall(encode_frame(OP_TEXT, b"{}"))
        opcode, data = _read_frame(sock)
        assert opcode == OP_CLOSE and struct.unpack("!H", data[:2])[0] == 1002
    assert fake.socket_mode.protocol_errors


def test_stopping_the_fake_closes_live_links(received: Received) -> None:
    fake = FakeSlack(app_token=APP_TOKEN).start()
    sm = make_client(fake, received, auto_reconnect_enabled=False)
    try:
        sm.connect()
        conn = fake.socket_mode.wait_for_connection()
        fake.stop()
        assert not conn.open
    finally:
        sm.close()
