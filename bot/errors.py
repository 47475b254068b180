"""Domain errors the global error handler turns into a kind message on the right surface."""

from __future__ import annotations


class KettleError(Exception):
    """An error whose message is written for the person who caused it."""

    user_message = "Something went wrong."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.user_message)
        self.user_message = message or self.user_message


class NotAMember(KettleError):
    user_message = (
        "Kettle looks after a Community of Practice, and this is for its members. "
        "If you'd like to take part, ask one of the convenors."
    )


class NotAConvenor(KettleError):
    user_message = "Only a convenor of the Community of Practice can do that."


class NotFound(KettleError):
    user_message = "I couldn't find that; it may have been removed."


class InvalidInput(KettleError):
    """Bad input; `field_errors` maps a modal block_id to its message when there is a form."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}
