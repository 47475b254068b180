"""The method as Kettle runs it: the phases (from prompts), the states a round passes through,
the limits on what is written, how a person is named, and finding rounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

import prompts
from bot.errors import InvalidInput, NotFound
from bot.models import (
    Member,
    Round,
    RoundChoice,
    RoundCommitment,
    RoundContribution,
    RoundKind,
    RoundStatus,
)
from bot.text import escape

TEXT_MAX = 2000
TOPIC_MAX = 500
MAX_PHASE_MINUTES = 24 * 60

# A round is live while it runs or is paused; it has started once it is live or closed. A set
# proposed for someone else waits for their yes, and a declined one never starts.
LIVE = (RoundStatus.RUNNING, RoundStatus.PAUSED)
STARTED = (*LIVE, RoundStatus.CLOSED)


def prompts_() -> dict[str, Any]:
    return prompts.load("rounds")


def phases(kind: RoundKind) -> list[dict[str, Any]]:
    return list(prompts_()[kind.value]["phases"])


def phase(round_: Round) -> dict[str, Any] | None:
    all_phases = phases(round_.kind)
    if 0 <= round_.phase_index < len(all_phases):
        return all_phases[round_.phase_index]
    return None


def is_question_phase(round_: Round) -> bool:
    current = phase(round_)
    return bool(current and current.get("question_phase")) and round_.status in LIVE


def who(member: Member | None, anonymous: bool = False) -> str:
    if anonymous or member is None:
        return str(prompts_()["messages"]["anonymous"])
    return escape(member.name or "a member")


# -- finding rounds --------------------------------------------------------------------------


def get_round(session: Session, round_id: int, *, community_id: int | None) -> Round:
    round_ = session.get(Round, round_id)
    if round_ is None or (community_id is not None and round_.community_id != community_id):
        raise NotFound()
    return round_


def round_for_thread(session: Session, channel_id: str, thread_ts: str) -> Round | None:
    return session.scalar(
        select(Round).where(
            Round.channel_id == channel_id,
            Round.thread_ts == thread_ts,
            Round.status.in_(LIVE),
        )
    )


def written(text: str | None, *, field: str, refusal: str, hint: str) -> str:
    """What a form's text field says, trimmed; an empty one is a field error (`hint` on the
    field, `refusal` elsewhere)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(refusal, {field: hint})
    return text


Keyed = TypeVar("Keyed", Round, RoundContribution, RoundCommitment, RoundChoice)


def by_source_key(session: Session, model: type[Keyed], source_key: str | None) -> Keyed | None:
    """What one form submission already made (a round, a contribution, a commitment), so that
    Slack sending the same submission twice makes it once."""
    if not source_key:
        return None
    return session.scalar(select(model).where(model.source_key == source_key))


def add_once(session: Session, row: Keyed) -> tuple[Keyed, bool]:
    """Add `row`, unless the submission it comes from (its source key) already made one: that
    one comes back instead. True when `row` is new."""
    found = by_source_key(session, type(row), row.source_key)
    if found is not None:
        return found, False
    session.add(row)
    session.flush()
    return row, True


@dataclass(frozen=True)
class RoundLine:
    id: int
    kind: RoundKind
    topic: str
    status: RoundStatus
    phase_name: str
    started_at: datetime


def list_rounds(session: Session, community_id: int, *, limit: int = 10) -> list[RoundLine]:
    """Rounds that have started: a set still waiting for its presenter's yes names them, so
    it shows nowhere until they say it."""
    rows = session.scalars(
        select(Round)
        .where(Round.community_id == community_id, Round.status.in_(STARTED))
        .order_by(Round.started_at.desc(), Round.id.desc())
        .limit(limit)
    )
    out = []
    for r in rows:
        current = phase(r)
        name = "closed" if r.status == RoundStatus.CLOSED else (current or {}).get("name", "")
        out.append(RoundLine(r.id, r.kind, r.topic, r.status, name, r.started_at))
    return out
