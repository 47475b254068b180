"""One global error handler: domain errors become kind words; others get a reference id."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

import prompts
from bot import waiting
from bot.errors import InvalidInput, KettleError
from handlers.middleware import refusal, tell

log = logging.getLogger("kettle.errors")


def handle_error(
    error: Exception,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    response: BoltResponse | None,
) -> BoltResponse | None:
    if (
        isinstance(error, InvalidInput)
        and error.field_errors
        and response is not None
        and body.get("type") == "view_submission"
    ):
        payload = {"response_action": "errors", "errors": error.field_errors}
        return BoltResponse(
            status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
        )
    mend = waiting.refusal_sentence(error) if isinstance(error, SlackApiError) else None
    if isinstance(error, KettleError):
        log.info("refused %s for %s: %s", body.get("type"), context.user_id, error.user_message)
        kettle_error = error
    elif mend is not None and isinstance(error, SlackApiError):
        # Slack refused for a reason a person can mend: say which, and how.
        log.warning("Slack refused %s: %s", body.get("type"), error.response.get("error"))
        kettle_error = KettleError(mend)
    else:
        ref = uuid.uuid4().hex[:8]
        log.error(
            "unexpected error ref=%s type=%s user=%s",
            ref,
            body.get("type") or body.get("command"),
            context.user_id,
            exc_info=error,
        )
        kettle_error = KettleError(prompts.load("kettle")["error"].format(ref=ref))
    if response is not None:
        # Not acknowledged yet: answer in the acknowledgement itself.
        return refusal(kettle_error, body, client, context)
    tell(body, client, context, kettle_error.user_message)
    return None


def later(
    context: BoltContext,
    body: dict[str, Any],
    client: WebClient,
    work: Callable[[], None],
) -> None:
    """Run `work` after the ack in the background pool; failures reach the person kindly."""

    def run() -> None:
        try:
            work()
        except Exception as error:
            handle_error(error, body, client, context, None)

    context["background"].submit(run)


def register(app: App) -> None:
    app.error(handle_error)
