"""Setting a CoP up from Slack: the form (the movement's channel, the convenors) and the
checklist of what is done and what is left."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ButtonElement,
    ConversationFilter,
    ConversationSelectElement,
    UserMultiSelectElement,
)

import prompts
from bot.builders.common import context, field, for_community, modal, section
from bot.builders.ids import CommunityIds
from bot.services.membership.setup import Checklist, Step
from bot.text import escape

INPUT = "value"  # the action_id of the element inside each input block


def _words() -> dict[str, Any]:
    return dict(prompts.load("membership")["setup"])


def setup_modal(
    *,
    community_id: int,
    community_name: str,
    channel_id: str,
    movement_channel_id: str | None,
    convenor_ids: list[str],
) -> dict[str, Any]:
    """The form `/cop setup` opens in the CoP's private channel."""
    p = _words()
    movement = ConversationSelectElement(
        action_id=INPUT,
        placeholder="Choose a channel",
        initial_conversation=movement_channel_id or None,
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
    )
    people = UserMultiSelectElement(
        action_id=INPUT,
        placeholder="Choose people",
        initial_users=convenor_ids[:100] or None,
        max_selected_items=100,
    )
    return modal(
        callback_id=CommunityIds.SETUP_MODAL,
        title=p["modal_title"],
        submit=p["submit"],
        close="Cancel",
        private_metadata=json.dumps({"community_id": community_id, "channel_id": channel_id}),
        blocks=[
            section(p["intro"].format(community=escape(community_name), channel=channel_id)),
            field(
                CommunityIds.SETUP_MOVEMENT,
                p["movement_label"],
                movement,
                hint=p["movement_hint"],
            ),
            field(
                CommunityIds.SETUP_CONVENORS,
                p["convenors_label"],
                people,
                hint=p["convenors_hint"],
            ),
        ],
    )


def checklist_blocks(
    checklist: Checklist, *, capacity: int, lead: str | None = None
) -> list[dict[str, Any]]:
    """What is done (ticked) and what is left (a box) for one CoP, with a Join button where
    Kettle can join the movement's channel itself. Marked as the CoP's, so that the button
    says which CoP it is for wherever it is pressed."""
    p = _words()
    done = checklist.done
    mark = {True: p["done"], False: p["todo"]}
    movement = checklist.movement
    lines: list[tuple[bool, str]] = [
        (done[Step.COP_CHANNEL], p["cop_channel"].format(channel=checklist.channel_id)),
    ]
    join_line = -1
    if movement is None:
        lines.append((False, p["movement_missing"]))
    elif done[Step.MOVEMENT_JOINED]:
        lines.append((True, p["movement_joined"].format(channel=movement.channel_id)))
    elif checklist.may_join:
        join_line = len(lines)
        lines.append((False, p["movement_join"].format(channel=movement.channel_id)))
    elif movement.found:
        lines.append((False, p["movement_invite"].format(channel=movement.channel_id)))
    else:
        lines.append((False, p["movement_gone"]))
    who = ", ".join(f"<@{u}>" for u in checklist.convenor_ids)
    lines.append((done[Step.CONVENORS], p["convenors"].format(convenors=who or "none yet")))
    lines.append((done[Step.MEMBERS], p["members"].format(members=checklist.members)))
    lines.append((done[Step.CAPACITY], p["capacity"].format(capacity=capacity)))
    blocks: list[dict[str, Any]] = []
    if lead:
        blocks.append(section(lead))
    blocks.append(section(p["checklist_header"].format(community=escape(checklist.name))))
    for n, (ticked, text) in enumerate(lines):
        item = section(f"{mark[ticked]} {text}")
        if movement is not None and n == join_line:
            item = section(
                f"{mark[ticked]} {text}",
                accessory=ButtonElement(
                    text=p["join_button"],
                    action_id=CommunityIds.SETUP_JOIN,
                    value=movement.channel_id,
                    style="primary",
                ),
            )
        blocks.append(item)
    blocks.append(context(p["next_steps"]))
    return for_community(blocks, checklist.community_id)


def checklist_text(checklist: Checklist) -> str:
    """The notification text of the checklist message."""
    return _words()["checklist_header"].format(community=checklist.name).replace("*", "")
