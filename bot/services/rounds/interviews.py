"""Appreciative interviews in an AI round's Discover phase: members in pairs (a trio when the
count is odd), grouped the way one-to-one pairing groups people and honouring its choices."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.models import Member, Round
from bot.services import pairing
from bot.services.membership import active_members


def interview_groups(session: Session, round_: Round) -> list[list[Member]]:
    """Pairs (a trio when the count is odd) for appreciative interviews, stable for a round.
    They honour pairing's choices: nobody who turned pairing off or paused it, and never two
    people one of whom asked not to be paired with the other (someone is left out only when
    every grouping would do that). Nobody is told why."""
    people = {m.id: m for m in active_members(session, round_.community_id)}
    ids = [i for i in people if i not in pairing.declines_pairing(session, list(people))]
    groups = pairing.make_groups(
        ids,
        costs={},
        forbidden=pairing.forbidden_pairs(session, ids),
        seed=f"interview:{round_.id}",
    )
    return [[people[i] for i in group] for group in groups]
