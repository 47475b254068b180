"""The rounds' modals: setting up a round or a set, contributing to a phase, reporting back."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UserMultiSelectElement,
    UserSelectElement,
)

from bot.builders.common import context, modal
from bot.builders.ids import RoundIds
from bot.builders.rounds.parts import anonymous_input, minutes_input, prompts_, text_input
from bot.models import Round, RoundChoice, RoundMode, RoundShare
from bot.services import rounds as svc
from bot.text import escape, truncate


def _where(channel_id: str) -> dict[str, Any]:
    """Rounds run only in the CoP's private channel; the form says where rather than asking."""
    return context(str(prompts_()["messages"]["where"]).format(channel=f"<#{channel_id}>"))


def _setup_modal(callback_id: RoundIds, title: str, blocks: list[Any]) -> dict[str, Any]:
    return modal(
        callback_id=callback_id, title=title, submit="Start", close="Cancel", blocks=blocks
    )


def _mode_input(mode: RoundMode) -> InputBlock:
    live = Option(value=RoundMode.LIVE.value, text="Live: now, in a meeting (minutes)")
    later = Option(value=RoundMode.ASYNC.value, text="Over days: each in our own time zone")
    return InputBlock(
        block_id=RoundIds.MODE,
        label="How do we meet?",
        element=RadioButtonsElement(
            action_id=RoundIds.INPUT,
            options=[later, live],
            initial_option=later if mode == RoundMode.ASYNC else live,
        ),
    )


def ai_modal(
    *,
    topic: str,
    channel_id: str,
    mode: RoundMode = RoundMode.LIVE,
    topic_id: int | None = None,
) -> dict[str, Any]:
    """The AI set-up form; started from the topic members chose, it carries that topic."""
    p = prompts_()
    blocks: list[Any] = [
        text_input(
            RoundIds.TOPIC,
            "Affirmative topic",
            multiline=False,
            initial=topic[: svc.TOPIC_MAX],
            max_length=svc.TOPIC_MAX,
            hint=p["ai"]["topic_hint"],
        ),
        _where(channel_id),
        minutes_input(
            RoundIds.MINUTES,
            "Minutes per phase (0: I'll move us on by hand)",
            int(p.get("default_ai_minutes", 10)),
        ),
        _mode_input(mode),
        minutes_input(
            RoundIds.HOURS,
            "Over days: hours per phase",
            int(p["asynchronous"].get("default_hours", 24)),
            maximum=svc.MAX_ASYNC_MINUTES // 60,
        ),
        anonymous_input("Members may contribute without names"),
    ]
    view = _setup_modal(RoundIds.AI_MODAL, p["ai"]["modal_title"], blocks)
    if topic_id is not None:
        view["private_metadata"] = json.dumps({"topic_id": topic_id})
    return view


def als_modal(*, presenter: str, channel_id: str) -> dict[str, Any]:
    p = prompts_()
    blocks: list[Any] = [
        InputBlock(
            block_id=RoundIds.PRESENTER,
            label="Presenter",
            element=UserSelectElement(action_id=RoundIds.INPUT, initial_user=presenter),
        ),
        text_input(
            RoundIds.CHALLENGE, "Their challenge, in a sentence or two", max_length=svc.TOPIC_MAX
        ),
        InputBlock(
            block_id=RoundIds.MEMBERS,
            label="Set members",
            element=UserMultiSelectElement(action_id=RoundIds.INPUT),
        ),
        _where(channel_id),
    ]
    for index, number in enumerate(svc.one_off_phases()):
        ph = p["als"]["phases"][number]
        blocks.append(
            minutes_input(
                f"{RoundIds.MINUTES}_{index}", f"{ph['name']} (minutes)", int(ph.get("minutes", 10))
            )
        )
    return _setup_modal(RoundIds.ALS_MODAL, p["als"]["modal_title"], blocks)


def contribute_modal(
    round_: Round, propositions: list[RoundChoice] | None = None
) -> dict[str, Any]:
    ph = svc.phase(round_) or {}
    commitments = bool(ph.get("commitments"))
    questions = "\n".join(f"• {q}" for q in ph.get("questions", []))
    blocks: list[Any] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(f"*{ph.get('name', '')}*: {ph.get('summary', '')}\n{questions}", 3000)
            )
        ),
        text_input(RoundIds.TEXT, "What will you do?" if commitments else "Your contribution"),
    ]
    if commitments and propositions:
        blocks.append(
            InputBlock(
                block_id=RoundIds.PROPOSITION,
                label="The proposition it serves",
                element=StaticSelectElement(
                    action_id=RoundIds.INPUT,
                    options=[
                        Option(value=str(c.id), text=truncate(c.text, 75))
                        for c in propositions[:100]
                    ],
                ),
            )
        )
    if commitments:
        blocks.append(
            InputBlock(
                block_id=RoundIds.WHEN,
                label="By when?",
                element=DatePickerElement(action_id=RoundIds.INPUT),
            )
        )
    elif round_.allow_anonymous:
        blocks.append(anonymous_input("Post it without my name"))
    return modal(
        callback_id=RoundIds.CONTRIBUTE_MODAL,
        title=ph.get("name", "Contribute"),
        submit="Add",
        close="Cancel",
        private_metadata=json.dumps({"round_id": round_.id, "phase": round_.phase_index}),
        blocks=blocks,
    )


def report_modal(commitment_id: int, what: str, *, in_set: bool = False) -> dict[str, Any]:
    return modal(
        callback_id=RoundIds.REPORT_MODAL,
        title="How did it go?",
        submit="Send",
        close="Cancel",
        private_metadata=json.dumps({"commitment_id": commitment_id}),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(text=f"You said you'd {escape(truncate(what, 2900))}.")
            ),
            text_input(RoundIds.TEXT, "How did it go? What did you learn?"),
            _share_input(in_set),
        ],
    )


def _share_input(in_set: bool) -> InputBlock:
    """The owner's choice for their report; private unless they pick sharing (with their
    standing set, for an action from one of its meetings)."""
    messages = prompts_()["messages"]
    private = Option(value=RoundShare.PRIVATE.value, text=messages["report_private_option"])
    wording = messages["report_set_option" if in_set else "report_shared_option"]
    shared = Option(value=RoundShare.COP.value, text=wording)
    return InputBlock(
        block_id=RoundIds.SHARE,
        label="Who may see it?",
        element=RadioButtonsElement(
            action_id=RoundIds.INPUT, options=[private, shared], initial_option=private
        ),
    )
