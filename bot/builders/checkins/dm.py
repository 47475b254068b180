"""The weekly check-in DM (and its one reminder) with its buttons: Check in, Skip, Pause."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot.builders.checkins.words import texts
from bot.builders.common import context, for_community, section
from bot.builders.ids import CheckinIds
from bot.models import Community
from bot.text import escape, truncate


def dm_actions(week: str) -> dict[str, Any]:
    p = texts()
    return ActionsBlock(
        block_id=CheckinIds.DM_ACTIONS,
        elements=[
            ButtonElement(
                text=p["check_in_button"],
                action_id=CheckinIds.OPEN_BUTTON,
                value=week,
                style="primary",
            ),
            ButtonElement(text=p["skip_button"], action_id=CheckinIds.SKIP_BUTTON, value=week),
            ButtonElement(text=p["pause_button"], action_id=CheckinIds.PAUSE_BUTTON, value=week),
        ],
    ).to_dict()


# The buttons and the hint are the same in every member's DM of a week: built once per week
# and wording (a fan-out to thousands renders them once), never changed after.
_same_for_all: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {}
# The greeting's section as slack_sdk's model renders it, once; each DM puts its own words in
# (truncated to the model's 3,000 characters) instead of building and checking a model per
# member, the most of what working out a week's fan-out cost.
_SECTION = section("-")


def _shared_blocks(week: str, p: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    hit = _same_for_all.get(week)
    if hit is None or hit[0] is not p:  # the wording was edited since
        if len(_same_for_all) > 8:
            _same_for_all.clear()
        hit = (p, dm_actions(week), context(p["dm_off_hint"]))
        _same_for_all[week] = hit
    return hit[1], hit[2]


def _greeting(text: str) -> dict[str, Any]:
    return {**_SECTION, "text": {**_SECTION["text"], "text": truncate(text, 3000)}}


def checkin_dm(
    name: str, week: str, *, reminder: bool = False, community: Community | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """The weekly DM (or its one reminder): fallback text and blocks. With `community` (an
    install of several CoPs) it names its CoP, and its buttons say which CoP they are for."""
    p = texts()
    who = escape(name) or "there"
    intro = p["reminder_intro" if reminder else "dm_intro"].format(name=who)
    text = p["reminder_text" if reminder else "dm_text"].format(name=who)
    actions, hint = _shared_blocks(week, p)
    blocks = [_greeting(intro), actions, hint]
    if community is not None:
        return naming_cop(text, blocks, community)
    return text, blocks


def naming_cop(
    text: str, blocks: list[dict[str, Any]], community: Community
) -> tuple[str, list[dict[str, Any]]]:
    """A DM that says which CoP it is for (an install of several), its buttons marked so."""
    cop = texts()["dm_community"].format(community=escape(community.name))
    return f"{cop} {text}", for_community([context(cop), *blocks], community.id)
