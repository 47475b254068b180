"""What the rounds listeners share: reading a round's button, and answering a submitted form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack
from sqlalchemy.orm import Session

from bot.errors import InvalidInput, NotAMember
from bot.models import Member
from bot.services import membership
from bot.services.membership import Viewer
from handlers.forms import action_value, number_in

Done = TypeVar("Done")


def round_and_phase(body: dict[str, Any]) -> tuple[int, int]:
    """A steering or contribute button's value: `<round id>:<phase index>`."""
    round_id, _, index = action_value(body).partition(":")
    return number_in(round_id), number_in(index)


def button_id(body: dict[str, Any]) -> int:
    """A button whose value is one id: a round's (the presenter's yes or no), a commitment's."""
    return number_in(action_value(body))


def answer_form(ack: Ack, work: Callable[[], Done]) -> Done | None:
    """Run a submitted form's work (which returns something, never None): a field error goes
    back to the form and gives None; otherwise the form closes and the work's result comes back
    for what is done after the ack."""
    try:
        done = work()
    except InvalidInput as exc:
        ack(response_action="errors", errors=exc.field_errors)
        return None
    ack()
    return done


def member_of(session: Session, viewer: Viewer) -> Member:
    """The viewer's member row in the CoP the request is for (NotAMember if they have none)."""
    member = membership.viewer_member(session, viewer)
    if member is None:
        raise NotAMember()
    return member
