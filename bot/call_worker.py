"""Web API calls made in a process of their own, so that the interpreter answering Slack's
requests spends none of its time on them.

Python runs one thread at a time in a process. A `views.open` costs more of that time than a
whole ack (building the request, HTTP, reading the answer), and while it runs every request
still waiting for its ack waits too. `kettle serve` therefore starts one call worker beside
itself: each client hands the worker the call slack_sdk has prepared (method URL, token, JSON
or form fields) and waits for the answer without holding the interpreter. The worker makes the
call with slack_sdk's own client, retry handlers and all (a 429 honours Retry-After and holds
the method in the shared pacing, as in the serving process, and the worker tells the serving
process of the hold at once, so that messages waiting there for their slots are not sent into
it), and sends back Slack's answer; the serving process turns it into the same `SlackResponse`
or `SlackApiError` it would have had.

Calls that upload files stay in the serving process. If the worker ends (killed, out of
memory), calls under way fail as a dropped connection would, and every later call is made in
the serving process again; the worker's end is logged.

python -m bot.call_worker API_URL → the worker (the database for its pacing named in
KETTLE_CALL_WORKER_DATABASE_URL), reading calls on its standard input until it closes.
"""

from __future__ import annotations

import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any
from urllib.error import URLError

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!I")
HOLD_NOTICE = 0  # the number of the worker's messages that are not answers (calls count from 1)
_DATABASE_URL = "KETTLE_CALL_WORKER_DATABASE_URL"
# Longer than any one call can take there: slack_sdk's 5 retries, each up to its 10 s timeout or
# a Retry-After Slack gives (a minute at most in practice).
ANSWER_TIMEOUT = 600.0


def _write(stream: IO[bytes], lock: threading.Lock, message: object) -> None:
    _send(stream, lock, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _send(stream: IO[bytes], lock: threading.Lock, data: bytes) -> None:
    with lock:
        stream.write(_HEADER.pack(len(data)) + data)
        stream.flush()


def _read(stream: IO[bytes]) -> Any:
    """The next message, or None when the other side has closed."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


class NotCarried(Exception):
    """The call cannot be carried to the worker: it is made here instead."""


class CallWorker:
    """The serving process's side: starts the worker and carries calls to it and back."""

    def __init__(self, api_url: str, database_url: str = "") -> None:
        self.api_url = api_url
        self.database_url = database_url
        self._proc: subprocess.Popen[bytes] | None = None
        self._write_lock = threading.Lock()
        self._waiting: dict[int, Future[Any]] = {}
        self._lock = threading.Lock()
        self._next_id = 0
        self._ended = False  # its answers ended: it has gone, whether or not yet reaped
        self.calls = 0  # made by the worker (tests, the benchmark)
        #: Told of each Retry-After the worker is given (team, method, until), as it is given:
        #: the serving process's pacing (`Pacer.note_held`), so that nothing it has queued is
        #: sent into the wait.
        self.on_hold: Callable[[str, str, float], None] | None = None

    def start(self) -> None:
        # The database's URL (which may hold a password) in the environment, not the arguments.
        env = {**os.environ, _DATABASE_URL: self.database_url}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bot.call_worker", self.api_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._ended = False
        threading.Thread(target=self._answers, name="call-worker-answers", daemon=True).start()
        log.info("Web API calls are made by a worker process (pid %s)", self._proc.pid)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and not self._ended and self._proc.poll() is None

    def call(self, request: dict[str, Any]) -> tuple[dict[str, Any] | bytes, dict[str, Any], int]:
        """Slack's answer to one prepared call: (body, headers, status). Raises what the call
        raised in the worker, or URLError if the worker ended before answering."""
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise URLError("the call worker is not running")
        answer: Future[Any] = Future()
        with self._lock:
            self._next_id += 1
            call_id = self._next_id
        try:
            data = pickle.dumps((call_id, request), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an argument only this process can hold: made here
            raise NotCarried(str(exc)) from exc
        with self._lock:
            self._waiting[call_id] = answer
        try:
            _send(proc.stdin, self._write_lock, data)
        except (BrokenPipeError, OSError, ValueError) as exc:
            with self._lock:
                self._waiting.pop(call_id, None)
            raise URLError(f"the call worker has ended: {exc}") from exc
        try:
            kind, *rest = answer.result(timeout=ANSWER_TIMEOUT)
        except TimeoutError as exc:
            with self._lock:
                self._waiting.pop(call_id, None)
            raise URLError("the call worker did not answer in time") from exc
        self.calls += 1
        if kind == "error":
            raise rest[0]
        body, headers, status = rest
        return body, headers, status

    def _answers(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        while (message := _read(proc.stdout)) is not None:
            call_id, answer = message
            if call_id == HOLD_NOTICE:
                _kind, team, method, until = answer
                if self.on_hold is not None:
                    self.on_hold(team, method, until)
                continue
            with self._lock:
                waiting = self._waiting.pop(call_id, None)
            if waiting is not None:
                waiting.set_result(answer)
        with self._lock:
            self._ended = True
            lost, self._waiting = self._waiting, {}
        if self._proc is proc:  # not stopped by `stop`
            log.error("the call worker ended; calls are made in this process from now on")
        for waiting in lost.values():
            waiting.set_result(("error", URLError("the call worker ended before answering")))

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _serve(api_url: str, database_url: str) -> None:
    """The worker: one kept-alive client per workspace (each call brings its token), slack_sdk's
    own retries, answers in any order (each carries its call's number)."""
    from slack_sdk.errors import SlackApiError

    from bot.slack import make_client

    limiter = None
    if database_url:
        from bot.db import make_engine, make_session_factory
        from bot.pacing import PostRateLimiter, SharedSlots

        # The same shared pacing as the serving process: a 429 here holds the method for all.
        limiter = PostRateLimiter(
            slots=SharedSlots(make_session_factory(make_engine(database_url)))
        )
    clients: dict[str, Any] = {}
    clients_lock = threading.Lock()
    out_lock = threading.Lock()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    if limiter is not None:
        # Each Retry-After told to the serving process at once, beside the answers.
        limiter.pacer.heard = lambda team, method, until: _write(
            stdout, out_lock, (HOLD_NOTICE, ("held", team, method, until))
        )

    def client_for(team: str) -> Any:
        """One client per workspace (its token comes with each call), pacing as that one's."""
        with clients_lock:
            if team not in clients:
                paced = limiter.for_team(team) if limiter is not None and team else limiter
                clients[team] = make_client(None, api_url, limiter=paced)
            return clients[team]

    def one(call_id: int, request: dict[str, Any]) -> None:
        try:
            team = request.pop("team", "")
            response = client_for(team)._urllib_api_call(files=None, **request)
            answer: tuple[Any, ...] = ("ok", response.data, response.headers, response.status_code)
        except SlackApiError as exc:  # Slack's own "ok": false: the serving process raises it
            r = exc.response
            answer = ("ok", r.data, r.headers, r.status_code)
        except Exception as exc:
            try:
                pickle.dumps(exc)
                answer = ("error", exc)
            except Exception:
                answer = ("error", URLError(repr(exc)))
        _write(stdout, out_lock, (call_id, answer))

    with ThreadPoolExecutor(max_workers=16, thread_name_prefix="call") as pool:
        while (message := _read(stdin)) is not None:
            pool.submit(one, *message)


if __name__ == "__main__":
    import signal

    # Ctrl-C reaches the whole process group: the serving process stops, and closes our input.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(
        level=getattr(logging, os.environ.get("KETTLE_LOG_LEVEL", "INFO").upper(), logging.INFO),
        format="%(asctime)s %(levelname)s call-worker %(name)s: %(message)s",
    )
    _serve(sys.argv[1], os.environ.get(_DATABASE_URL, ""))
