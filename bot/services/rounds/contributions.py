"""What members say in a phase: stored by phase, under their name or (where the round allows it
and they chose it) without."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.models import Member, Round, RoundContribution
from bot.services.rounds.method import TEXT_MAX, add_once, phase_at, step_count, written


def form_phase(round_: Round, asked: int | str | None) -> tuple[int, dict[str, Any]]:
    """The phase a contribution form was opened in, and what it asks: the round may have moved
    on while the member was writing. A form that names no phase of this round means the
    current one."""
    index = round_.phase_index if asked is None else int(asked)
    if not 0 <= index < step_count(round_):
        index = round_.phase_index
    return index, (phase_at(round_, index) or {})


def add_contribution(
    session: Session,
    round_: Round,
    member: Member,
    *,
    text: str,
    anonymous: bool,
    source_key: str | None,
    phase_index: int | None = None,
) -> tuple[RoundContribution, bool]:
    text = written(text, field="text", refusal="Say something first.", hint="Write a few words.")
    contribution = RoundContribution(
        round_id=round_.id,
        phase_index=round_.phase_index if phase_index is None else phase_index,
        member_id=member.id,
        text=text[:TEXT_MAX],
        anonymous=anonymous and round_.allow_anonymous,
        source_key=source_key,
    )
    return add_once(session, contribution)
