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
    LearningSet,
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


def plan(round_: Round) -> list[tuple[int, int | None]]:
    """The round's steps: (phase number in prompts, whose turn it is). A set's meeting keeps
    its own plan (a report-back, each presenter's phases, the learning review); any other
    round goes through its kind's phases once, with its one presenter."""
    steps = (round_.settings or {}).get("plan")
    if steps:
        return [(int(p), int(m) if m is not None else None) for p, m in steps]
    return [(i, round_.presenter_id) for i in range(len(phases(round_.kind)))]


def step_count(round_: Round) -> int:
    return len(plan(round_))


def one_off_phases() -> list[int]:
    """The phases of a set that stands alone: all but those only a standing set's meeting has
    (the report-back opens a meeting after the first)."""
    return [i for i, ph in enumerate(phases(RoundKind.ALS)) if not ph.get("meeting_only")]


def phase_at(round_: Round, index: int) -> dict[str, Any] | None:
    steps, all_phases = plan(round_), phases(round_.kind)
    if 0 <= index < len(steps) and 0 <= steps[index][0] < len(all_phases):
        return all_phases[steps[index][0]]
    return None


def phase(round_: Round) -> dict[str, Any] | None:
    return phase_at(round_, round_.phase_index)


def turn_of(round_: Round, index: int | None = None) -> int | None:
    """The member whose turn a step is (the presenter of it), or None."""
    steps = plan(round_)
    index = round_.phase_index if index is None else index
    return steps[index][1] if 0 <= index < len(steps) else None


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


Keyed = TypeVar("Keyed", Round, RoundContribution, RoundCommitment, LearningSet, RoundChoice)


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
        .where(
            Round.community_id == community_id,
            Round.status.in_(STARTED),
            Round.set_id.is_(None),  # a standing set's meetings stay in the set
        )
        .order_by(Round.started_at.desc(), Round.id.desc())
        .limit(limit)
    )
    out = []
    for r in rows:
        current = phase(r)
        name = "closed" if r.status == RoundStatus.CLOSED else (current or {}).get("name", "")
        out.append(RoundLine(r.id, r.kind, r.topic, r.status, name, r.started_at))
    return out
