"""What the pairing listeners share: the member behind the request."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.errors import InvalidInput
from bot.models import Member
from bot.services import membership
from bot.services.membership import Viewer


def me(session: Session, viewer: Viewer) -> Member:
    member = membership.viewer_member(session, viewer)
    if member is None:
        raise InvalidInput("You're no longer a member.")
    return member
