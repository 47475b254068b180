"""Reading what Slack sends back: input blocks' state, a button's value, a view's metadata."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from bot.errors import InvalidInput

INPUT = "value"  # every capability's `<Capability>Ids.INPUT`: the element's action_id in a block

_PICKED = (
    "selected_date",
    "selected_time",
    "selected_conversation",
    "selected_channel",
    "selected_user",
    "selected_users",
    "selected_conversations",
    "selected_channels",
)


def input_value(values: dict[str, Any], block_id: str, action_id: str = INPUT) -> Any:
    """One input block's answer: the chosen option's value, the chosen options' values, the
    picked date/time/conversation/user(s), or the typed text; None when nothing was given."""
    state = (values.get(block_id) or {}).get(action_id) or {}
    if "selected_option" in state:
        return (state.get("selected_option") or {}).get("value")
    if "selected_options" in state:
        return [o.get("value") for o in state.get("selected_options") or []]
    for key in _PICKED:
        if key in state:
            return state.get(key)
    return state.get("value")


def input_values(view: dict[str, Any], action_id: str = INPUT) -> dict[str, Any]:
    """Every input block's answer by block id."""
    values = (view.get("state") or {}).get("values", {})
    return {block_id: input_value(values, block_id, action_id) for block_id in values}


def action_value(body: dict[str, Any]) -> str:
    """The `value` of the button (or option) that was pressed, as text."""
    return str((body.get("actions") or [{}])[0].get("value") or "")


def number_in(text: str) -> int:
    """An id carried in a button's value; anything else means the button is out of date."""
    try:
        return int(text)
    except ValueError as exc:
        raise InvalidInput("That button is out of date.") from exc


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """A view's private_metadata as a dict ({} when absent or not ours)."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def for_cop(view: dict[str, Any], community_id: int | None) -> dict[str, Any]:
    """A modal that remembers the CoP it was opened for (`community_id` in its JSON
    private_metadata), so that its submission is for that CoP even for someone in several."""
    if not community_id:
        return view
    raw = view.get("private_metadata")
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return view  # not Kettle's JSON: left as it is
    if not isinstance(data, dict):
        return view
    return {**view, "private_metadata": json.dumps({**data, "community_id": community_id})}


def open_modal(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Open a modal, or push it on top when the button was pressed inside one."""
    if body.get("view", {}).get("type") == "modal":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def message_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The channel and ts of the message whose button was pressed (from the container)."""
    container = body.get("container") or {}
    return container.get("channel_id"), container.get("message_ts")
