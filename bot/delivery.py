"""Exactly-once delivery of messages that a schedule, a retry or a second replica could repeat.

Each message has a ledger row with a unique key, written before the send. A sender first claims
the row (a compare-and-set with a lease), so two replicas never send the same key at once. The key
travels in the message's metadata: if a previous claim may have sent it before crashing, the
channel's recent history (or, for a reply, its thread) is checked for that key before sending
again.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import ledger
from bot.db import BULK_ROWS, SessionFactory, analyze, unit_of_work, write_connection
from bot.models import Delivery, DeliveryStatus, Member, utcnow
from bot.pacing import PostRateLimiter as PostRateLimiter  # where Sender's pace comes from

log = logging.getLogger(__name__)

METADATA_EVENT = "kettle_delivery"
CLAIM_LEASE = timedelta(seconds=120)
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
HISTORY_PAGES = 5  # 5 x 200 messages: years of a member's DM with Kettle, or a long thread

SentHook = Callable[[Session, str, str, str], None]
ON_SENT: dict[str, SentHook] = {}
"""Where a sent message went, noted by the capability that owns it: `prefix: fn(session, key,
channel, ts)` for keys `<prefix>:…`. It runs in the transaction that marks the ledger row sent,
so no crash can leave a message posted but unrecorded: until the ledger row says sent, a retry
(the sweeper's, or the next attempt's) finds the message in the channel and notes it then."""


def on_sent(prefix: str, hook: SentHook) -> None:
    """Capabilities call this at import time (through `bot.services.hooks`); once per prefix."""
    ON_SENT[prefix] = hook


def _note_sent(session: Session, key: str, ts: str) -> None:
    hook = ON_SENT.get(key.split(":", 1)[0])
    if hook is None:
        return
    channel = session.scalar(select(Delivery.channel).where(Delivery.key == key)) or ""
    try:
        with session.begin_nested():
            hook(session, key, channel, ts)
    except Exception:
        # The message is out either way; a failed note must not make it look unsent.
        log.exception("could not note where %s was posted", key)


@dataclass(frozen=True)
class Outcome:
    key: str
    sent: bool  # True when this call posted the message
    ts: str | None
    status: DeliveryStatus


def queue(
    session: Session,
    key: str,
    channel: str,
    *,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
) -> None:
    """Queue a message in the caller's transaction (the outbox): it exists iff the change does.

    Send it after the commit with `Sender.deliver_queued(key)`; if that never happens (a crash,
    Slack down for longer than the retries), the outbox sweeper sends it later, exactly once,
    with the token of the workspace the session was opened for (`session.info["team_id"]`, set
    for each request by `handlers/middleware.py`).
    """
    row = {"key": key, **_queued_row(session, channel, text, blocks, thread_ts)}
    connection = session.connection()  # the caller's transaction
    connection.execute(ledger.QUEUE_ONCE[connection.dialect.name], row)


def queued_with_params(session: Session, channel: str, *, text: str) -> dict[str, Any]:
    """The message's parameters for a statement built by `ledger.queued_with`: the row `queue`
    would write for it, but its key (which the statement makes from the stored row's id)."""
    row = _queued_row(session, channel, text, None, None)
    return {
        "q_channel": row["channel"],
        "q_team": row["team_id"],
        "q_payload": row["payload"],
        "q_created": utcnow(),
    }


def _queued_row(
    session: Session,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]] | None,
    thread_ts: str | None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {"text": text, "blocks": blocks}
    if thread_ts:
        payload["thread_ts"] = thread_ts
    return {"channel": channel, "team_id": session.info.get("team_id"), "payload": payload}


class Sender:
    """Sends ledgered messages through one rate-limited, retrying Web API client: one
    workspace's (`team_id`; None for the one workspace of a SLACK_BOT_TOKEN install)."""

    def __init__(
        self,
        client: WebClient,
        session_factory: SessionFactory,
        *,
        limiter: PostRateLimiter | None = None,
        worker_id: str = WORKER_ID,
        claim_lease: timedelta = CLAIM_LEASE,
        team_id: str | None = None,
    ) -> None:
        self.client = client
        self.team_id = team_id
        self.session_factory = session_factory
        self.limiter = limiter or PostRateLimiter()
        self.worker_id = worker_id
        # How long a claim protects a send in progress; after it, another worker may take over
        # (checking the channel's history first). Longer than any one send may take.
        self.claim_lease = claim_lease
        # A person's DM id is read from their member row each time, never kept in memory:
        # once forget-me deletes the row, no replica has it to serve.

    def for_team(self, team_id: str, client: WebClient) -> Sender:
        """The same ledger and pacing, sending with another workspace's client."""
        return Sender(
            client,
            self.session_factory,
            limiter=self.limiter.for_team(team_id),
            worker_id=self.worker_id,
            claim_lease=self.claim_lease,
            team_id=team_id,
        )

    # -- ledger ----------------------------------------------------------------------------
    def reserve(self, key: str, channel: str, *, due_at: datetime | None = None) -> None:
        """Write the ledger row if it is not there yet (idempotent): one statement."""
        row = {"key": key, "channel": channel, "due_at": due_at, "team_id": self.team_id}
        with write_connection(self.session_factory) as connection:
            connection.execute(ledger.QUEUE_ONCE[connection.dialect.name], row)

    def reserve_many(self, rows: list[tuple[str, str, datetime | None]]) -> None:
        """`reserve` for a whole fan-out, (key, channel, due_at) each, a few statements in all;
        a key already written (by a repeat tick, another replica) is left as it is."""
        written = 0
        with unit_of_work(self.session_factory) as session:
            insert = ledger.QUEUE_ONCE[session.get_bind().dialect.name]
            for start in range(0, len(rows), 500):
                chunk = rows[start : start + 500]
                have = set(
                    session.scalars(
                        select(Delivery.key).where(Delivery.key.in_([r[0] for r in chunk]))
                    )
                )
                fresh = [
                    {"key": k, "channel": c, "due_at": d, "team_id": self.team_id}
                    for k, c, d in chunk
                    if k not in have
                ]
                if fresh:
                    session.execute(insert, fresh)
                    written += len(fresh)
        if written >= BULK_ROWS:  # the claims and lookups that follow plan on its new size
            analyze(self.session_factory, Delivery.__tablename__)

    def cancel(self, key: str) -> None:
        with unit_of_work(self.session_factory) as session:
            session.execute(
                update(Delivery)
                .where(Delivery.key == key, Delivery.status == DeliveryStatus.PENDING)
                .values(status=DeliveryStatus.CANCELLED)
            )

    def _claim(self, key: str) -> tuple[bool, int, str | None, DeliveryStatus | None]:
        """(claimed by this worker now, attempt number, ts already recorded, status); a key
        with no ledger row: (False, 0, None, None)."""
        claim = self._take(key)
        if claim is None:
            return False, 0, None, None
        return claim.taken, claim.attempts, claim.ts, claim.status

    def _take(self, key: str, *, queued: bool = False) -> ledger.Claim | None:
        """Claim the row (a compare-and-set with a lease; `queued`: only a message queued with
        its payload) and read what it holds, in one statement; a row that is sent, cancelled or
        claimed by another is read as it is."""
        now = utcnow()
        claim = {"k": key, "stale": now - self.claim_lease, "by": self.worker_id, "now": now}
        with write_connection(self.session_factory) as connection:
            taken = connection.execute(
                ledger.CLAIM_QUEUED if queued else ledger.CLAIM, claim
            ).first()
            if taken is not None:
                attempts, ts, channel, payload = taken
                return ledger.Claim(True, attempts, ts, DeliveryStatus.PENDING, channel, payload)
            found = connection.execute(ledger.STATE, {"k": key}).first()
        if found is None:
            return None
        attempts, ts, status, channel, payload = found
        return ledger.Claim(False, attempts, ts, DeliveryStatus(status), channel, payload)

    def _finish(
        self,
        key: str,
        *,
        ts: str | None,
        error: str | None = None,
        dm: tuple[str, str] | None = None,
    ) -> None:
        """Release the claim; with `ts`, mark the row sent and keep `dm` (user id, DM id), the
        DM the post went to, on their member rows in the same transaction."""
        error = error[:500] if error is not None else None
        mark: dict[str, Any] = {"k": key, "by": self.worker_id, "error": error}
        if ts is None:
            with write_connection(self.session_factory) as connection:
                connection.execute(ledger.RELEASE, mark)
            return
        mark.update(ts=ts, at=utcnow())
        if key.split(":", 1)[0] not in ON_SENT:  # most sends: two statements, no Session
            with write_connection(self.session_factory) as connection:
                if dm is not None:
                    connection.execute(ledger.KEEP_DM, {"u": dm[0], "dm": dm[1]})
                connection.execute(ledger.MARK_SENT, mark)
            return
        with unit_of_work(self.session_factory) as session:
            if dm is not None:
                ledger.keep_dm(session, *dm)
            if session.connection().execute(ledger.MARK_SENT, mark).rowcount:
                _note_sent(session, key, ts)

    # -- Slack -----------------------------------------------------------------------------
    def _already_posted(self, channel: str, key: str, thread_ts: str | None = None) -> str | None:
        """Look for a message carrying this key: the trace of a send whose ledger write was lost.

        A reply in a thread is only in that thread (`conversations.history` holds top-level
        messages), so a threaded send is looked for in `conversations.replies`, oldest first;
        anything else in the channel's history, newest first. Neither has an `oldest` bound, so
        a skewed clock cannot hide the message.
        """
        method = "conversations.replies" if thread_ts else "conversations.history"
        cursor = None
        for _page in range(HISTORY_PAGES):
            kwargs: dict[str, Any] = {
                "channel": channel,
                "limit": 200,
                "include_all_metadata": True,
            }
            if cursor:
                kwargs["cursor"] = cursor
            self.limiter.wait_method(method)
            try:
                if thread_ts:
                    page = self.client.conversations_replies(ts=thread_ts, **kwargs)
                else:
                    page = self.client.conversations_history(**kwargs)
            except SlackApiError as exc:
                if thread_ts and exc.response.get("error") == "thread_not_found":
                    return None  # the parent is gone, and its replies with it
                raise
            messages: list[dict[str, Any]] = page.get("messages") or []
            for message in messages:
                metadata = message.get("metadata") or {}
                if (
                    metadata.get("event_type") == METADATA_EVENT
                    and (metadata.get("event_payload") or {}).get("key") == key
                ):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

    def known_dm(self, user_id: str) -> str | None:
        """The DM channel a post to `user_id` went to, as kept on their member row now."""
        with unit_of_work(self.session_factory) as session:
            return session.scalar(
                select(Member.dm_channel_id)
                .where(Member.user_id == user_id, Member.dm_channel_id.is_not(None))
                .limit(1)
            )

    def resolve_channel(self, channel: str) -> str:
        """A user id means their DM with Kettle. Its channel id is kept on the member row from
        the first post to the user id; only someone Kettle never wrote to is looked up with
        conversations.open (Tier 3), once."""
        if not channel.startswith(("U", "W")):
            return channel
        known = self.known_dm(channel)
        if known is None:
            self.limiter.wait_method("conversations.open")
            known = str(self.client.conversations_open(users=channel)["channel"]["id"])
            with unit_of_work(self.session_factory) as session:
                ledger.keep_dm(session, channel, known)
        return known

    def deliver(
        self,
        key: str,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        due_at: datetime | None = None,
        **extra: Any,
    ) -> Outcome:
        """Send at most once per key; safe to call from retries, restarts and other replicas."""
        self.reserve(key, channel, due_at=due_at)
        claimed, attempts, ts, status = self._claim(key)
        if not claimed:
            return Outcome(key, False, ts, status or DeliveryStatus.PENDING)
        return self._send(
            key, channel, attempts, text=text, blocks=blocks, thread_ts=thread_ts, **extra
        )

    def deliver_queued(self, key: str, *, paced: bool = False) -> Outcome | None:
        """Send a message queued with `queue()`, from its stored payload (idempotent): claimed
        and read in one statement, marked sent in one transaction. `paced`: its pace was kept
        already (bot/courier.py took its slots, and they have come)."""
        claim = self._take(key, queued=True)
        if claim is None or claim.payload is None:  # no such message queued
            return None
        if not claim.taken:
            return Outcome(key, False, claim.ts, claim.status)
        return self._send(key, claim.channel, claim.attempts, paced=paced, **claim.payload)

    def _send(
        self,
        key: str,
        channel: str,
        attempts: int,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        paced: bool = False,
        **extra: Any,
    ) -> Outcome:
        """Post a row this worker has claimed (unless an earlier attempt did), and mark it;
        at its pace unless that was kept already (`paced`)."""
        try:
            # A user id is posted to as it is: Slack puts the message in their DM and answers
            # with its channel id, kept for what needs it (history, updates, deletes).
            if attempts > 1:
                found = self._already_posted(self.resolve_channel(channel), key, thread_ts)
                if found:
                    self._finish(key, ts=found)
                    return Outcome(key, False, found, DeliveryStatus.SENT)
            if not paced:
                self.limiter.wait(channel)
            response = self.client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}},
                **extra,
            )
        except SlackApiError as exc:
            self._finish(key, ts=None, error=str(exc.response.get("error")))
            raise
        except Exception as exc:
            self._finish(key, ts=None, error=type(exc).__name__)
            raise
        ts = str(response["ts"])
        posted_in = str(response.get("channel") or "")
        dm = (channel, posted_in) if channel.startswith(("U", "W")) and posted_in else None
        self._finish(key, ts=ts, dm=dm)  # the DM id is kept as the send is marked sent
        return Outcome(key, True, ts, DeliveryStatus.SENT)

    def team_of(self, key: str) -> str | None:
        """The workspace a ledgered message is sent in."""
        with unit_of_work(self.session_factory) as session:
            return session.scalar(select(Delivery.team_id).where(Delivery.key == key))

    def queued_keys(self, *, older_than: timedelta, within: timedelta) -> list[str]:
        """Queued messages still pending: ones whose send after the request never finished."""
        now = utcnow()
        with unit_of_work(self.session_factory) as session:
            return list(
                session.scalars(
                    select(Delivery.key)
                    .where(
                        Delivery.status == DeliveryStatus.PENDING,
                        Delivery.payload.is_not(None),
                        Delivery.created_at <= now - older_than,
                        Delivery.created_at >= now - within,
                    )
                    .order_by(Delivery.id)
                )
            )

    def settled(self, keys: list[str]) -> set[str]:
        """Which of these keys are already sent or cancelled: a tick skips them cheaply."""
        done: set[str] = set()
        with unit_of_work(self.session_factory) as session:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                done.update(
                    session.scalars(
                        select(Delivery.key).where(
                            Delivery.key.in_(chunk), Delivery.status != DeliveryStatus.PENDING
                        )
                    )
                )
        return done

    def pending_keys(self, *, older_than: timedelta = timedelta(0)) -> list[str]:
        """Ledger rows not yet sent: what a restart must finish."""
        cutoff = utcnow() - older_than
        with unit_of_work(self.session_factory) as session:
            return list(
                session.scalars(
                    select(Delivery.key).where(
                        Delivery.status == DeliveryStatus.PENDING,
                        Delivery.created_at <= cutoff,
                    )
                )
            )
