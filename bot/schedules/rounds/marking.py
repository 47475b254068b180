"""A DM's blocks marked as one CoP's where the install has several, so that a button pressed
in a DM (which is no CoP's channel) says which CoP it is for."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.builders.common import for_community
from bot.models import Round
from bot.services import membership


def marked(blocks: list[Any], community_id: int | None) -> list[Any]:
    """A DM's blocks, marked as one CoP's where the install has several."""
    return blocks if community_id is None else for_community(blocks, community_id)


def marked_for(
    session: Session, blocks: list[dict[str, Any]], round_: Round
) -> list[dict[str, Any]]:
    """A DM's blocks, marked as its round's CoP's where the install has several, so a button
    pressed in it says which CoP it is for."""
    return for_community(blocks, round_.community_id) if membership.several(session) else blocks
