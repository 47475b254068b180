"""Acks first: sent the moment a listener gives them, and ahead of the work that follows them.

Bolt's runner (with `process_before_response=False`, as Kettle serves HTTP) hands the listener to
its pool, then looks for `ack()` every 10 ms: an ack given 2 ms in still waits for the next look,
and every look takes the interpreter from the threads doing the work. Here `ack()` wakes the
request's thread itself. Everything else is Bolt's: the same handlers, the same responses, the
same warning for a listener that never acks.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from slack_bolt import App
from slack_bolt.context.ack import Ack
from slack_bolt.listener import Listener
from slack_bolt.listener.thread_runner import ThreadListenerRunner
from slack_bolt.logger.messages import warning_did_not_call_ack
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

T = TypeVar("T")


class PromptAck(Ack):
    """Bolt's `ack()`, which also says it has been given."""

    def __init__(self) -> None:
        super().__init__()
        self.given = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.given.set()


class PromptListenerRunner(ThreadListenerRunner):
    """Bolt's ThreadListenerRunner, waiting on the request's PromptAck instead of polling."""

    @classmethod
    def replacing(cls, runner: ThreadListenerRunner) -> PromptListenerRunner:
        return cls(
            logger=runner.logger,
            process_before_response=runner.process_before_response,
            listener_error_handler=runner.listener_error_handler,
            listener_start_handler=runner.listener_start_handler,
            listener_completion_handler=runner.listener_completion_handler,
            listener_executor=runner.listener_executor,
            lazy_listener_runner=runner.lazy_listener_runner,
        )

    def run(
        self,
        request: BoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: Listener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        ack = request.context.ack
        if (
            self.process_before_response
            or request.lazy_only
            or listener.lazy_functions
            or not isinstance(ack, PromptAck)
        ):
            return super().run(request, response, listener_name, listener, starting_time)
        started = starting_time if starting_time is not None else time.time()
        if listener.auto_acknowledgement:
            ack()  # events are acknowledged at once

        def in_pool() -> None:
            nonlocal response
            try:
                self.listener_start_handler.handle(request=request, response=response)
                listener.run_ack_function(request=request, response=response)
            except Exception as e:  # handed to the app's error handler, as Bolt does
                if not listener.auto_acknowledgement:
                    if response is None:
                        response = BoltResponse(status=500)
                    response.status = 500
                    if ack.response is not None:  # already acknowledged
                        response = None  # type: ignore[assignment]
                self.listener_error_handler.handle(error=e, request=request, response=response)
                if not listener.auto_acknowledgement:
                    ack.response = response
            finally:
                self.listener_completion_handler.handle(request=request, response=response)
                ack.given.set()  # a listener that ended without ack() will never give one

        self.listener_executor.submit(in_pool)
        ack.given.wait(max(0.0, listener.ack_timeout - (time.time() - started)))
        if response is None and ack.response is None:
            self.logger.warning(warning_did_not_call_ack(listener_name))
            return None
        if response is None:
            return ack.response
        return response


def give_prompt_acks(app: App) -> None:
    """Every request's ack() a PromptAck, waited on by a PromptListenerRunner; call it before
    any middleware is added, so that the first global middleware can hand out the acks."""
    app._listener_runner = PromptListenerRunner.replacing(app._listener_runner)

    def prompt_ack(context: Any, next: Any) -> None:
        context["ack"] = PromptAck()
        next()

    app.use(prompt_ack)


class AcksFirst:
    """Work after an ack waits its turn while other requests still wait for theirs.

    One process answers Slack and does the work that follows (confirmations, App Home
    refreshes), and Python runs one thread at a time: in a burst, every refresh run between two
    acks adds its time to the later ack, which Slack holds to 3 seconds, while the refresh itself
    can come a moment later unnoticed. So the after-ack pool starts a piece of work only when no
    request is waiting for its ack, or once `max_wait` seconds have passed since it was handed to
    the pool (it never starves). The time counts from then, not from when a pool thread took it
    up: under a steady stream of requests each piece would otherwise wait its `max_wait` in turn,
    the pool would finish a few a second, and the work behind them, each piece holding the
    request it came from, would grow for as long as the stream lasted.
    """

    def __init__(self, max_wait: float = 1.0) -> None:
        self.max_wait = max_wait
        self._quiet = threading.Condition()
        self._answering = 0
        #: How long each recent piece of work waited for its turn, in seconds (the benchmark's).
        self.waited: deque[float] = deque(maxlen=10_000)

    def answering(self) -> _Answering:
        """A context in which a request is being answered (the web layer holds it)."""
        return _Answering(self)

    def wait_turn(self, since: float | None = None) -> None:
        """Until no request waits for its ack, or `max_wait` after `since` (time.monotonic(),
        when the work was handed over; by default now)."""
        began = time.monotonic()
        timeout = self.max_wait - (began - since) if since is not None else self.max_wait
        if timeout > 0:
            with self._quiet:
                self._quiet.wait_for(lambda: self._answering == 0, timeout=timeout)
        self.waited.append(time.monotonic() - (since if since is not None else began))

    def _enter(self) -> None:
        with self._quiet:
            self._answering += 1

    def _leave(self) -> None:
        with self._quiet:
            self._answering -= 1
            if self._answering == 0:
                self._quiet.notify_all()


class _Answering:
    def __init__(self, gate: AcksFirst) -> None:
        self.gate = gate

    def __enter__(self) -> None:
        self.gate._enter()

    def __exit__(self, *exc: object) -> None:
        self.gate._leave()


class AfterAcks(Executor):
    """An executor for work after the ack whose every task first waits its turn (AcksFirst)."""

    def __init__(self, inner: Executor, gate: AcksFirst) -> None:
        self.inner = inner
        self.gate = gate

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        handed = time.monotonic()

        def in_turn() -> T:
            self.gate.wait_turn(since=handed)
            return fn(*args, **kwargs)

        return self.inner.submit(in_turn)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)
