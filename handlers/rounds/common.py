"""What the rounds listeners share: reading a round's button, and answering a submitted form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack

from bot.errors import InvalidInput
from handlers.forms import action_value

Done = TypeVar("Done")


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise InvalidInput("That button is out of date.") from exc


def round_and_phase(body: dict[str, Any]) -> tuple[int, int]:
    """A steering or contribute button's value: `<round id>:<phase index>`."""
    round_id, _, index = action_value(body).partition(":")
    return _number(round_id), _number(index)


def round_of(body: dict[str, Any]) -> int:
    """A button whose value is a round's id (the presenter's yes or no)."""
    return _number(action_value(body))


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
