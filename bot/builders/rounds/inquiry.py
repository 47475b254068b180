"""Appreciative inquiry's own surfaces: the form where members propose and vote (topics, themes
of the positive core, provocative propositions), the interview message with its protocol, the
retelling form and the partner's yes, a Destiny commitment with who joins it, and the offer to
the story library."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.builders.common import modal, section
from bot.builders.ids import RoundIds
from bot.builders.rounds.parts import button, prompts_, text_input
from bot.models import ChoiceKind, Round, RoundChoice
from bot.text import escape, truncate

_KIND_WORDS = {
    ChoiceKind.TOPIC: ("topics", "topic_line", "topic_mine", "Vote", "Propose a topic"),
    ChoiceKind.THEME: ("themes", "theme_line", "choice_mine", "Agree", "Name a theme"),
    ChoiceKind.PROPOSITION: (
        "propositions",
        "proposition_line",
        "proposition_mine",
        "Endorse",
        "Write a proposition",
    ),
}


def _option(choice: RoundChoice) -> Option:
    return Option(value=str(choice.id), text=truncate(choice.text, 75))


def choices_modal(
    kind: ChoiceKind,
    choices: list[RoundChoice],
    counts: dict[int, int],
    mine: set[int],
    *,
    round_id: int | None,
    core: list[RoundChoice] | None = None,
    may_start: bool = False,
) -> dict[str, Any]:
    """Everything proposed so far with its count (never who voted), a button to vote on each,
    and a field to propose another."""
    ai = prompts_()["ai"]
    key, line_key, mine_key, verb, label = _KIND_WORDS[kind]
    blocks: list[Any] = [section(ai[f"{key}_intro"])]
    if not choices:
        blocks.append(section(ai[f"{key}_none"]))
    for choice in choices[:40]:
        count = counts.get(choice.id, 0)
        line = str(ai[line_key]).format(
            text=escape(truncate(choice.text, 600)),
            theme=escape(choice.theme.text) if choice.theme else "",
            count=count,
            plural="" if count == 1 else "s",
            mine=ai[mine_key] if choice.id in mine else "",
        )
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=truncate(line, 3000)),
                accessory=button(verb, RoundIds.CHOICE_VOTE, str(choice.id)),
            )
        )
        if may_start:
            blocks.append(
                ActionsBlock(
                    elements=[
                        button("Start a round from this", RoundIds.START_TOPIC, str(choice.id))
                    ]
                )
            )
    hint = ai["proposition_hint"] if kind == ChoiceKind.PROPOSITION else None
    field = text_input(RoundIds.TEXT, label, multiline=False, max_length=300, hint=hint)
    field.optional = True
    blocks.append(field)
    if kind == ChoiceKind.PROPOSITION and core:
        blocks.append(
            InputBlock(
                block_id=RoundIds.THEME,
                label="The theme of our positive core it serves",
                optional=True,
                element=StaticSelectElement(
                    action_id=RoundIds.INPUT, options=[_option(t) for t in core[:100]]
                ),
            )
        )
    return modal(
        callback_id=RoundIds.CHOICES_MODAL,
        title=ai[f"{key}_title"],
        submit="Done",
        close="Close",
        private_metadata=json.dumps({"kind": kind.value, "round_id": round_id}),
        blocks=blocks,
    )


def core_line(round_: Round) -> str:
    """The positive core heading a Dream or Design post ("" before it is agreed)."""
    core = (round_.settings or {}).get("core") or []
    if not core:
        return ""
    return str(prompts_()["ai"]["core_head"]).format(core=" · ".join(escape(t) for t in core))


def interview_message(
    round_: Round, people: list[str], *, alone: bool = False
) -> tuple[str, list[Any]]:
    """The pair's (or trio's) group message: who, the protocol one question at a time, and the
    retelling button. Someone left without a partner gets a kind word instead."""
    words = prompts_()["ai"]["interview"]
    if alone:
        return str(words["alone"]), [section(str(words["alone"]))]
    intro = str(words["intro"]).format(
        topic=escape(truncate(round_.topic, 200)), people=", ".join(f"<@{u}>" for u in people)
    )
    questions = "\n".join(f"{n}. {q}" for n, q in enumerate(words["questions"], 1))
    text = truncate(f"{intro}\n{questions}\n{words['outro']}", 3000)
    return text, [
        section(text),
        ActionsBlock(
            elements=[button(words["retell_button"], RoundIds.RETELL, str(round_.id), "primary")]
        ).to_dict(),
    ]


def retell_modal(round_: Round, partners: list[tuple[int, str]]) -> dict[str, Any]:
    words = prompts_()["ai"]["interview"]
    options = [Option(value=str(i), text=truncate(name, 75)) for i, name in partners]
    return modal(
        callback_id=RoundIds.RETELL_MODAL,
        title=words["retell_title"],
        submit="Ask them",
        close="Cancel",
        private_metadata=json.dumps({"round_id": round_.id}),
        blocks=[
            InputBlock(
                block_id=RoundIds.PARTNER,
                label=words["partner_label"],
                element=StaticSelectElement(
                    action_id=RoundIds.INPUT,
                    options=options,
                    initial_option=options[0] if len(options) == 1 else None,
                ),
            ),
            text_input(RoundIds.TEXT, words["retell_label"]),
        ],
    )


def retell_ask(
    round_: Round, teller: str, text: str, contribution_id: int
) -> tuple[str, list[Any]]:
    words = prompts_()["ai"]["interview"]
    body = str(words["retell_ask"]).format(
        teller=teller,
        topic=escape(truncate(round_.topic, 200)),
        text=escape(truncate(" ".join(text.split()), 2000)),
    )
    value = str(contribution_id)
    return truncate(body, 3000), [
        section(truncate(body, 3000)),
        ActionsBlock(
            elements=[
                button(words["retell_yes"], RoundIds.RETELL_YES, value, "primary"),
                button(words["retell_no"], RoundIds.RETELL_NO, value),
            ]
        ).to_dict(),
    ]


def retold_text(who: str, about: str, text: str) -> str:
    words = prompts_()["ai"]["interview"]
    return truncate(str(words["retold"]).format(who=who, about=about, text=escape(text)), 3000)


def commitment_blocks(text: str, commitment_id: int) -> list[dict[str, Any]]:
    """A Destiny commitment in the thread, with *I'm joining* for anyone who will help."""
    return [
        section(text),
        ActionsBlock(elements=[button("I'm joining", RoundIds.JOIN, str(commitment_id))]).to_dict(),
    ]


def library_ask(round_: Round, words_said: list[str]) -> tuple[str, list[Any]]:
    lib = prompts_()["ai"]["library"]
    listed = "\n".join(f"• {escape(truncate(w, 300))}" for w in words_said[:20])
    text = truncate(
        str(lib["ask"]).format(topic=escape(truncate(round_.topic, 200)), words=listed), 3000
    )
    value = str(round_.id)
    return text, [
        section(text),
        ActionsBlock(
            elements=[
                button(lib["yes"], RoundIds.LIBRARY_YES, value, "primary"),
                button(lib["no"], RoundIds.LIBRARY_NO, value),
            ]
        ).to_dict(),
    ]
