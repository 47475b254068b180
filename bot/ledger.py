"""The delivery ledger's statements, each built once (each send is their parameters): a
Session's bookkeeping and a statement built afresh cost the serving process more than the rest
of a send together. `bot/delivery.py` runs them; what they mean is told there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CTE, Select, String, Table, bindparam, func, literal, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from bot.db import insert_once
from bot.models import Delivery, DeliveryStatus, Member

_LEDGER = cast(Table, Delivery.__table__)
_MEMBERS = cast(Table, Member.__table__)
_row, _member = _LEDGER.c, _MEMBERS.c

# Claim a row (a compare-and-set with a lease) and read what it holds, in one statement.
CLAIM = (
    update(_LEDGER)
    .where(
        _row.key == bindparam("k"),
        _row.status == DeliveryStatus.PENDING,
        or_(_row.claimed_at.is_(None), _row.claimed_at < bindparam("stale")),
    )
    .values(claimed_by=bindparam("by"), claimed_at=bindparam("now"), attempts=_row.attempts + 1)
    .returning(_row.attempts, _row.message_ts, _row.channel, _row.payload)
)
CLAIM_QUEUED = CLAIM.where(_row.payload.is_not(None))  # a message queued with its payload
STATE = select(_row.attempts, _row.message_ts, _row.status, _row.channel, _row.payload).where(
    _row.key == bindparam("k")
)
MARK_SENT = (
    update(_LEDGER)
    .where(_row.key == bindparam("k"), _row.claimed_by == bindparam("by"))
    .values(
        status=DeliveryStatus.SENT,
        message_ts=bindparam("ts"),
        sent_at=bindparam("at"),
        claimed_by=None,
        claimed_at=None,
        last_error=func.coalesce(bindparam("error", type_=String), _row.last_error),
    )
)
RELEASE = (
    update(_LEDGER)
    .where(_row.key == bindparam("k"), _row.claimed_by == bindparam("by"))
    .values(
        claimed_by=None,
        claimed_at=None,
        last_error=func.coalesce(bindparam("error", type_=String), _row.last_error),
    )
)
# A person's DM channel id on their member rows (one per CoP they belong to): a plain UPDATE,
# no ORM bookkeeping, updated_at left alone; a row that has it already is not written again.
KEEP_DM = (
    update(_MEMBERS)
    .where(
        _member.user_id == bindparam("u"),
        or_(_member.dm_channel_id.is_(None), _member.dm_channel_id != bindparam("dm")),
    )
    .values(dm_channel_id=bindparam("dm"), updated_at=_member.updated_at)
)


def keep_dm(session: Session, user_id: str, dm_channel: str) -> None:
    """Keep a person's DM channel id on their member rows (one per CoP they belong to)."""
    session.connection().execute(KEEP_DM, {"u": user_id, "dm": dm_channel})


@dataclass(frozen=True)
class Claim:
    """What claiming a ledger row found: `taken` (this worker may send it now), the attempt
    it is (counting this one), the ts of a send already recorded, its status, and what it is
    (the channel and, for a queued message, its payload)."""

    taken: bool
    attempts: int
    ts: str | None
    status: DeliveryStatus
    channel: str
    payload: dict[str, Any] | None


# One statement, built once (the message is its parameters): a key already queued (a repeat,
# another replica's) is left as it was.
QUEUE_ONCE = insert_once(_LEDGER, "key")


def queued_with(stored: CTE, key_prefix: str) -> Select[Any]:
    """PostgreSQL: the row `stored` inserts (a data-modifying CTE returning `id`) and, in the
    same statement, a message queued for it under the key `key_prefix` + its id, as QUEUE_ONCE
    queues one (the same columns; a key there already is left as it was): the outbox's change
    and message in one round trip, its own transaction. Parameters: the stored row's, and the
    message's (`delivery.queued_with_params`). Selects what `stored` returns; a row
    it did not insert (ON CONFLICT DO NOTHING) queues nothing and selects nothing."""
    key = literal(key_prefix, String) + sql_cast(stored.c.id, String)
    queued = (
        postgresql.insert(_LEDGER)
        .from_select(
            ["key", "channel", "team_id", "payload", "status", "attempts", "created_at"],
            select(
                key,
                bindparam("q_channel", type_=String),
                bindparam("q_team", type_=String),
                bindparam("q_payload", type_=_row.payload.type),
                literal(DeliveryStatus.PENDING, _row.status.type),
                literal(0),
                bindparam("q_created", type_=_row.created_at.type),
            ).select_from(stored),
            include_defaults=False,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .cte("queued")
    )
    return select(stored).add_cte(queued)
