"""Queued messages sent at their pace without a thread waiting for each.

A confirmation after an ack (the thank-you for a story or a check-in) is queued on the ledger
with the change it confirms (bot/delivery.py `queue`). Sending it must keep Slack's pace: one
post a second to a DM, the workspace's ceiling for chat.postMessage. In a burst, a send that
slept until its slot in the after-ack pool held one of its few threads, and every piece of work
behind it waited with the request it came from (its body, its context) in memory, for as long
as the backlog lasted: minutes, at the size of a movement, and the interpreter's full garbage
collections grew with it, stopping every request's ack while they ran.

The courier takes the message's slots at once (PostRateLimiter.reserve). A slot that has come
is sent there and then; a later one waits in a heap as (slot, key, channel), a few bytes, until
one thread hands it to the after-ack pool at its moment. If Slack has meanwhile said to wait (a
429's Retry-After, heard by any send in this process or its call worker), a slot that has come
inside the wait is not used: the message takes a new one after it, so the queue does not walk
into the wait one 429 at a time, each holding a pool thread asleep. Nothing is lost if the
process stops: the message is on the ledger, and the outbox sweeper sends what is still pending
(bot/schedules/outbox.py); a key sent meanwhile by someone else is not sent again.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from concurrent.futures import Executor

from bot.delivery import Outcome, Sender
from bot.pacing import POST, sleep_until

log = logging.getLogger(__name__)

SOON = 0.005  # seconds: a slot this close is waited for here rather than in the heap


class Courier:
    """Sends queued messages (`Sender.deliver_queued`) at their slots: due ones in the calling
    thread, later ones from a heap, handed to `executor` when their slot comes."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self._due: list[tuple[float, int, Sender, str, str]] = []  # (slot, order, …, channel)
        self._order = itertools.count()  # ties keep the order they were sent in
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def send_queued(self, sender: Sender, key: str, channel: str) -> Outcome | None:
        """Send the message queued as `key` to `channel` at its pace: now if its slot has
        come (its Outcome), else at its slot (None)."""
        at = sender.limiter.reserve(channel)
        if at <= time.time() + SOON:
            sleep_until(at)  # a few milliseconds at most: never before its slot
            return sender.deliver_queued(key, paced=True)
        with self._changed:
            if self._closed:
                return None  # stopping: the outbox sweeper sends it
            heapq.heappush(self._due, (at, next(self._order), sender, key, channel))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="courier", daemon=True)
                self._thread.start()
            self._changed.notify()
        return None

    def waiting(self) -> int:
        """How many messages wait for their slot."""
        with self._changed:
            return len(self._due)

    def close(self) -> None:
        """Stop; what still waits is left to the outbox sweeper (it is on the ledger)."""
        with self._changed:
            self._closed = True
            self._due.clear()
            self._changed.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._closed and (not self._due or self._due[0][0] > time.time()):
                    self._changed.wait(self._due[0][0] - time.time() if self._due else None)
                if self._closed:
                    return
                at, _order, sender, key, channel = heapq.heappop(self._due)
            if sender.limiter.held_until(POST) > at:
                # Slack said to wait after this slot was taken: a new slot, after the wait (the
                # slots are taken outside the heap's lock: shared ones are a database write).
                later = sender.limiter.reserve(channel)
                with self._changed:
                    if not self._closed:
                        heapq.heappush(self._due, (later, next(self._order), sender, key, channel))
                continue
            try:
                self.executor.submit(_send, sender, key)
            except RuntimeError:  # the pool has shut down: the sweeper sends it
                return


def _send(sender: Sender, key: str) -> None:
    try:
        sender.deliver_queued(key, paced=True)
    except Exception:
        # It stays pending on the ledger: the outbox sweeper tries it again.
        log.exception("could not send %s at its slot; the outbox will try again", key)
