"""Rounds' direct messages: an invitation to join in, "how did it go?", and the private ask
to a named presenter (with what it becomes once answered)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock

from bot.builders.common import section
from bot.builders.ids import RoundIds
from bot.builders.rounds.parts import button, prompts_
from bot.models import Round
from bot.text import escape, truncate


def invite_blocks(text: str) -> list[dict[str, Any]]:
    return [
        section(text),
        ActionsBlock(
            elements=[
                button("Don't invite me again", RoundIds.OPT_OUT, "off"),
            ]
        ).to_dict(),
    ]


def ask_blocks(text: str, commitment_id: int) -> list[dict[str, Any]]:
    return [
        section(text),
        ActionsBlock(
            elements=[
                button("Tell us how it went", RoundIds.REPORT, str(commitment_id), "primary"),
            ]
        ).to_dict(),
    ]


def presenter_ask(round_: Round, *, starter: str, report_back: bool) -> tuple[str, list[Any]]:
    """The DM asking a named presenter for their yes (the only place the proposal shows)."""
    p = prompts_()["als"]
    members = ", ".join(f"<@{u}>" for u in round_.set_members) or "—"
    text = str(p["ask_presenter"]).format(
        starter=starter,
        channel=f"<#{round_.channel_id}>",
        challenge=escape(truncate(" ".join(round_.topic.split()), 600)),
        members=members,
        report_back=p["ask_report_back"] if report_back else "",
    )
    value = str(round_.id)
    return truncate(text, 3000), [
        section(truncate(text, 3000)),
        ActionsBlock(
            elements=[
                button(p["ask_yes"], RoundIds.PRESENT_YES, value, "primary"),
                button(p["ask_no"], RoundIds.PRESENT_NO, value),
            ]
        ).to_dict(),
    ]


def presenter_answered(round_: Round, *, yes: bool) -> tuple[str, list[Any]]:
    """What the ask becomes once answered (or withdrawn): no buttons, and nobody's name."""
    if (round_.settings or {}).get("withdrawn"):
        text = str(prompts_()["messages"]["ask_withdrawn"])
    else:
        text = str(prompts_()["als"]["answered_yes" if yes else "answered_no"]).format(
            channel=f"<#{round_.channel_id}>"
        )
    return text, [section(text)]
