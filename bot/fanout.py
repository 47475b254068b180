"""A fan-out through the delivery ledger in batches: the same exactly-once rules as
`Sender.deliver` (bot/delivery.py), at a few statements per batch instead of three transactions
per message.

A batch of ledger rows is claimed in one statement (`UPDATE … WHERE id IN (SELECT … FOR UPDATE
SKIP LOCKED) RETURNING`: two replicas split a batch between them and never wait on each other's
rows), the members' kept DM ids are read in the same transaction, each claimed message is posted
with its ledger key in the metadata, and the batch's sent rows are marked in one transaction at
its end. A crash between a post and its mark leaves the row pending with its claim: after the
lease, the next claim (attempt > 1) finds the key in the DM's history and marks it without a
resend, as for a single send. A batch is small enough to be posted well within the claim's lease
at the paced rate, and stops (releasing what it did not post) if the lease is half spent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

from slack_sdk.errors import SlackApiError
from sqlalchemy import Table, bindparam, or_, select, update

from bot.db import unit_of_work
from bot.delivery import METADATA_EVENT, ON_SENT, Outcome, Sender
from bot.models import Delivery, DeliveryStatus, Member, utcnow

MAX_BATCH = 50


@dataclass(frozen=True)
class Message:
    key: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None


def batch_size(sender: Sender, workers: int) -> int:
    """As many messages as `workers` senders post in a quarter of the claim's lease at the pace
    of chat.postMessage (at least one, at most MAX_BATCH)."""
    interval = sender.limiter.pacer.interval.get("chat.postMessage") or 0.0
    per_post = max(interval * max(1, workers), sender.limiter.interval / 1000)
    if per_post <= 0:
        return MAX_BATCH
    fits = int(sender.claim_lease.total_seconds() / 4 / per_post)
    return max(1, min(MAX_BATCH, fits))


def _claim(sender: Sender, keys: list[str]) -> dict[str, int]:
    """Claim every free pending row among `keys` at once: key -> its attempt number."""
    now = utcnow()
    free = (
        select(Delivery.id)
        .where(
            Delivery.key.in_(keys),
            Delivery.status == DeliveryStatus.PENDING,
            or_(Delivery.claimed_at.is_(None), Delivery.claimed_at < now - sender.claim_lease),
        )
        .with_for_update(skip_locked=True)
    )
    with unit_of_work(sender.session_factory) as session:
        rows = session.execute(
            update(Delivery)
            .where(Delivery.id.in_(free))
            .values(claimed_by=sender.worker_id, claimed_at=now, attempts=Delivery.attempts + 1)
            .returning(Delivery.key, Delivery.attempts)
            .execution_options(synchronize_session=False)
        ).all()
    return {str(key): int(attempts) for key, attempts in rows}


def _known_dms(sender: Sender, user_ids: list[str]) -> dict[str, str]:
    """The DM ids kept on these people's member rows (user id -> DM id), read for one batch."""
    wanted = sorted({u for u in user_ids if u.startswith(("U", "W"))})
    if not wanted:
        return {}
    with unit_of_work(sender.session_factory) as session:
        return {
            str(user_id): str(dm)
            for user_id, dm in session.execute(
                select(Member.user_id, Member.dm_channel_id).where(
                    Member.user_id.in_(wanted), Member.dm_channel_id.is_not(None)
                )
            )
        }


def _mark(sender: Sender, sent: list[tuple[str, str]], dms: list[tuple[str, str]]) -> None:
    """Mark the batch's sent rows (key, ts) and keep new DM ids (user, DM), one transaction."""
    plain = [(k, ts) for k, ts in sent if k.split(":", 1)[0] not in ON_SENT]
    hooked = [(k, ts) for k, ts in sent if k.split(":", 1)[0] in ON_SENT]
    if plain or dms:
        with unit_of_work(sender.session_factory) as session:
            if dms:
                members = cast(Table, Member.__table__).c
                session.execute(
                    update(cast(Table, Member.__table__))
                    .where(
                        members.user_id == bindparam("u"),
                        or_(
                            members.dm_channel_id.is_(None),
                            members.dm_channel_id != bindparam("dm"),
                        ),
                    )
                    .values(dm_channel_id=bindparam("dm"), updated_at=members.updated_at),
                    [{"u": u, "dm": dm} for u, dm in dms],
                )
            if plain:
                table = cast(Table, Delivery.__table__)
                cols = table.c
                session.execute(
                    update(table)
                    .where(cols.key == bindparam("k"), cols.claimed_by == sender.worker_id)
                    .values(
                        status=DeliveryStatus.SENT,
                        message_ts=bindparam("ts"),
                        sent_at=utcnow(),
                        claimed_by=None,
                        claimed_at=None,
                    ),
                    [{"k": k, "ts": ts} for k, ts in plain],
                )
    for key, ts in hooked:  # a capability notes where it went, row by row
        sender._finish(key, ts=ts)


def _release(sender: Sender, keys: list[str]) -> None:
    """Give back claims a batch did not get to (the next tick sends them)."""
    if not keys:
        return
    with unit_of_work(sender.session_factory) as session:
        session.execute(
            update(Delivery)
            .where(Delivery.key.in_(keys), Delivery.claimed_by == sender.worker_id)
            .values(claimed_by=None, claimed_at=None)
            .execution_options(synchronize_session=False)
        )


def deliver_batch(sender: Sender, messages: list[Message]) -> list[Outcome | BaseException]:
    """Send a batch of already reserved ledger rows, each at most once; one outcome (or the
    error that left it pending) per message, in order."""
    claimed = _claim(sender, [m.key for m in messages])
    known = _known_dms(sender, [m.channel for m in messages if m.key in claimed])
    started = time.monotonic()
    half_lease = sender.claim_lease.total_seconds() / 2
    outcomes: dict[str, Outcome | BaseException] = {}
    sent: list[tuple[str, str]] = []
    dms: list[tuple[str, str]] = []
    unsent: list[str] = []
    for message in messages:
        key, channel = message.key, message.channel
        attempts = claimed.get(key)
        if attempts is None:
            outcomes[key] = Outcome(key, False, None, DeliveryStatus.PENDING)
            continue
        if half_lease and time.monotonic() - started > half_lease:
            unsent.append(key)
            outcomes[key] = Outcome(key, False, None, DeliveryStatus.PENDING)
            continue
        try:
            if attempts > 1:
                dm = known.get(channel) or sender.resolve_channel(channel)
                found = sender._already_posted(dm, key)
                if found:
                    sent.append((key, found))
                    outcomes[key] = Outcome(key, False, found, DeliveryStatus.SENT)
                    continue
            sender.limiter.wait(channel)
            response = sender.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.blocks,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}},
            )
        except SlackApiError as exc:
            sender._finish(key, ts=None, error=str(exc.response.get("error")))
            outcomes[key] = exc
            continue
        except Exception as exc:
            sender._finish(key, ts=None, error=type(exc).__name__)
            outcomes[key] = exc
            continue
        ts = str(response["ts"])
        posted_in = str(response.get("channel") or "")
        if channel.startswith(("U", "W")) and posted_in not in ("", known.get(channel)):
            dms.append((channel, posted_in))
        sent.append((key, ts))
        outcomes[key] = Outcome(key, True, ts, DeliveryStatus.SENT)
    _mark(sender, sent, dms)
    _release(sender, unsent)
    return [outcomes[m.key] for m in messages]
