"""Block Kit for rounds: set-up forms, phase announcements with controls, synthesis, follow-ups."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    UserMultiSelectElement,
    UserSelectElement,
)

from bot.builders.common import context, date_token, modal, section
from bot.builders.ids import RoundIds
from bot.models import Round, RoundKind, RoundShare, RoundStatus
from bot.services import rounds as svc
from bot.text import escape, plain, truncate


def _p() -> dict[str, Any]:
    return svc.prompts_()


def slack_time(moment: datetime) -> str:
    """A time every reader sees in their own zone."""
    return date_token(moment, "{time}", f"{moment:%H:%M} UTC")


def _text_input(
    block_id: str,
    label: str,
    *,
    multiline: bool = True,
    initial: str | None = None,
    max_length: int = svc.TEXT_MAX,
    hint: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        hint=plain(hint, 2000) if hint else None,
        element=PlainTextInputElement(
            action_id=RoundIds.INPUT,
            multiline=multiline,
            max_length=max_length,
            initial_value=initial or None,
        ),
    )


def _minutes_input(block_id: str, label: str, initial: int) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=plain(label, 2000),
        element=NumberInputElement(
            action_id=RoundIds.INPUT,
            is_decimal_allowed=False,
            min_value="0",
            max_value=str(svc.MAX_PHASE_MINUTES),
            initial_value=str(initial),
        ),
    )


def _where(channel_id: str) -> dict[str, Any]:
    """Rounds run only in the CoP's private channel; the form says where rather than asking."""
    return context(str(_p()["messages"]["where"]).format(channel=f"<#{channel_id}>"))


def ai_modal(*, topic: str, channel_id: str) -> dict[str, Any]:
    p = _p()
    anon = Option(value=RoundIds.ANONYMOUS_YES.value, text="Members may contribute without names")
    blocks: list[Any] = [
        _text_input(
            RoundIds.TOPIC,
            "Affirmative topic",
            multiline=False,
            initial=topic[: svc.TOPIC_MAX],
            max_length=svc.TOPIC_MAX,
            hint=p["ai"]["topic_hint"],
        ),
        _where(channel_id),
        _minutes_input(
            RoundIds.MINUTES,
            "Minutes per phase (0: I'll move us on by hand)",
            int(p.get("default_ai_minutes", 10)),
        ),
        InputBlock(
            block_id=RoundIds.ANONYMOUS,
            label=" ",
            optional=True,
            element=CheckboxesElement(action_id=RoundIds.INPUT, options=[anon]),
        ),
    ]
    return modal(
        callback_id=RoundIds.AI_MODAL,
        title=p["ai"]["modal_title"],
        submit="Start",
        close="Cancel",
        blocks=blocks,
    )


def als_modal(*, presenter: str, channel_id: str) -> dict[str, Any]:
    p = _p()
    blocks: list[Any] = [
        InputBlock(
            block_id=RoundIds.PRESENTER,
            label="Presenter",
            element=UserSelectElement(action_id=RoundIds.INPUT, initial_user=presenter),
        ),
        _text_input(
            RoundIds.CHALLENGE, "Their challenge, in a sentence or two", max_length=svc.TOPIC_MAX
        ),
        InputBlock(
            block_id=RoundIds.MEMBERS,
            label="Set members",
            element=UserMultiSelectElement(action_id=RoundIds.INPUT),
        ),
        _where(channel_id),
    ]
    for index, ph in enumerate(p["als"]["phases"]):
        blocks.append(
            _minutes_input(
                f"{RoundIds.MINUTES}_{index}", f"{ph['name']} (minutes)", int(ph.get("minutes", 10))
            )
        )
    return modal(
        callback_id=RoundIds.ALS_MODAL,
        title=p["als"]["modal_title"],
        submit="Start",
        close="Cancel",
        blocks=blocks,
    )


def contribute_modal(round_: Round) -> dict[str, Any]:
    ph = svc.phase(round_) or {}
    commitments = bool(ph.get("commitments"))
    questions = "\n".join(f"• {q}" for q in ph.get("questions", []))
    blocks: list[Any] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(f"*{ph.get('name', '')}*: {ph.get('summary', '')}\n{questions}", 3000)
            )
        ),
        _text_input(RoundIds.TEXT, "What will you do?" if commitments else "Your contribution"),
    ]
    if commitments:
        blocks.append(
            InputBlock(
                block_id=RoundIds.WHEN,
                label="By when?",
                element=DatePickerElement(action_id=RoundIds.INPUT),
            )
        )
    elif round_.allow_anonymous:
        anon = Option(value=RoundIds.ANONYMOUS_YES.value, text="Post it without my name")
        blocks.append(
            InputBlock(
                block_id=RoundIds.ANONYMOUS,
                label=" ",
                optional=True,
                element=CheckboxesElement(action_id=RoundIds.INPUT, options=[anon]),
            )
        )
    return modal(
        callback_id=RoundIds.CONTRIBUTE_MODAL,
        title=ph.get("name", "Contribute"),
        submit="Add",
        close="Cancel",
        private_metadata=json.dumps({"round_id": round_.id, "phase": round_.phase_index}),
        blocks=blocks,
    )


def report_modal(commitment_id: int, what: str) -> dict[str, Any]:
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
            _text_input(RoundIds.TEXT, "How did it go? What did you learn?"),
            _share_input(),
        ],
    )


def _share_input() -> InputBlock:
    """The owner's choice for their report; private unless they pick sharing."""
    messages = _p()["messages"]
    private = Option(value=RoundShare.PRIVATE.value, text=messages["report_private_option"])
    shared = Option(value=RoundShare.COP.value, text=messages["report_shared_option"])
    return InputBlock(
        block_id=RoundIds.SHARE,
        label="Who may see it?",
        element=RadioButtonsElement(
            action_id=RoundIds.INPUT, options=[private, shared], initial_option=private
        ),
    )


# -- in the thread -------------------------------------------------------------------------


def opening(round_: Round) -> tuple[str, list[dict[str, Any]]]:
    p = _p()
    if round_.kind == RoundKind.AI:
        anon = p["ai"]["anonymous_allowed"] if round_.allow_anonymous else ""
        text = p["ai"]["opening"].format(topic=escape(round_.topic), anonymous=anon)
    else:
        members = ", ".join(f"<@{u}>" for u in round_.set_members) or "—"
        text = p["als"]["opening"].format(
            presenter=svc.who(round_.presenter),
            challenge=escape(round_.topic),
            members=members,
            rule=p["als"]["rule"],
        )
    blocks = [SectionBlock(text=MarkdownTextObject(text=truncate(text, 3000)))]
    if round_.opening_note:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=truncate(round_.opening_note, 3000)))
        )
    return truncate(text, 3000), [b.to_dict() for b in blocks]


def _button(text: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=text, action_id=action_id, value=value, style=style)


def controls(round_: Round) -> ActionsBlock:
    value = f"{round_.id}:{round_.phase_index}"
    ph = svc.phase(round_) or {}
    elements = []
    if ph.get("contributes") or ph.get("reflection") or ph.get("commitments"):
        label = "Commit" if ph.get("commitments") else "Contribute"
        elements.append(_button(label, RoundIds.CONTRIBUTE, value, "primary"))
    if round_.kind == RoundKind.AI and round_.phase_index == 0:
        elements.append(_button("Pair us for interviews", RoundIds.PAIR, value))
    last = round_.phase_index + 1 >= len(svc.phases(round_.kind))
    elements += [
        _button("Finish" if last else "Next phase", RoundIds.NEXT, value),
        _button("Pause", RoundIds.PAUSE, value),
        _button("Resume", RoundIds.RESUME, value),
        _button("+5 min", RoundIds.EXTEND, value),
        _button("End", RoundIds.END, value, "danger"),
    ]
    return ActionsBlock(elements=elements)


def phase_post(round_: Round) -> tuple[str, list[dict[str, Any]]]:
    p = _p()
    ph = svc.phase(round_) or {}
    head = p["messages"]["phase"].format(
        emoji=ph.get("emoji", ""), name=ph.get("name", ""), summary=ph.get("summary", "")
    )
    lines = [head]
    lines += [f"• {q}" for q in ph.get("questions", [])]
    if round_.phase_deadline is not None:
        minutes = round_.phase_minutes[round_.phase_index]
        lines.append(
            p["messages"]["time_box"].format(
                minutes=minutes, until=slack_time(round_.phase_deadline)
            )
        )
    else:
        lines.append(p["messages"]["by_hand"])
    if ph.get("question_phase"):
        lines.append(p["als"]["rule"])
    text = truncate("\n".join(lines), 3000)
    blocks = [SectionBlock(text=MarkdownTextObject(text=text)), controls(round_)]
    return head, [b.to_dict() for b in blocks]


def contribution_text(round_: Round, who: str, text: str, *, phase_index: int) -> str:
    p = _p()["messages"]
    name = svc.phases(round_.kind)[phase_index]["name"]
    if round_.kind == RoundKind.ALS:
        return truncate(p["reflection"].format(who=who, text=escape(text)), 3000)
    return truncate(p["contribution"].format(who=who, phase=name, text=escape(text)), 3000)


def commitment_text(who: str, what: str, due: datetime) -> str:
    return truncate(
        _p()["messages"]["commitment"].format(who=who, what=escape(what), when=f"{due:%a %d %b}"),
        3000,
    )


def synthesis_post(round_: Round) -> tuple[str, list[dict[str, Any]]]:
    p = _p()
    if round_.kind == RoundKind.AI:
        head = p["ai"]["closing"].format(topic=escape(truncate(round_.topic, 200)))
    else:
        head = p["als"]["closing"].format(presenter=svc.who(round_.presenter))
    chunks: list[str] = []
    current = ""
    for line in (round_.synthesis or "").split("\n"):
        if len(current) + len(line) + 1 > 2900:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else truncate(line, 2900)
    if current:
        chunks.append(current)
    blocks = [SectionBlock(text=MarkdownTextObject(text=head))]
    blocks += [SectionBlock(text=MarkdownTextObject(text=c)) for c in chunks[:45]]
    return head, [b.to_dict() for b in blocks]


# -- direct messages -----------------------------------------------------------------------


def invite_blocks(text: str) -> list[dict[str, Any]]:
    return [
        section(text),
        ActionsBlock(
            elements=[
                _button("Don't invite me again", RoundIds.OPT_OUT, "off"),
            ]
        ).to_dict(),
    ]


def ask_blocks(text: str, commitment_id: int) -> list[dict[str, Any]]:
    return [
        section(text),
        ActionsBlock(
            elements=[
                _button("Tell us how it went", RoundIds.REPORT, str(commitment_id), "primary"),
            ]
        ).to_dict(),
    ]


def presenter_ask(round_: Round, *, starter: str, report_back: bool) -> tuple[str, list[Any]]:
    """The DM asking a named presenter for their yes (the only place the proposal shows)."""
    p = _p()["als"]
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
                _button(p["ask_yes"], RoundIds.PRESENT_YES, value, "primary"),
                _button(p["ask_no"], RoundIds.PRESENT_NO, value),
            ]
        ).to_dict(),
    ]


def presenter_answered(round_: Round, *, yes: bool) -> tuple[str, list[Any]]:
    """What the ask becomes once answered (or withdrawn): no buttons, and nobody's name."""
    if (round_.settings or {}).get("withdrawn"):
        text = str(_p()["messages"]["ask_withdrawn"])
    else:
        text = str(_p()["als"]["answered_yes" if yes else "answered_no"]).format(
            channel=f"<#{round_.channel_id}>"
        )
    return text, [section(text)]


def round_list(lines: list[svc.RoundLine]) -> str:
    if not lines:
        return "No rounds yet. `/round guide ai` or `/round guide als` explains how they work."
    out = ["*Rounds*"]
    for line in lines:
        kind = "Appreciative inquiry" if line.kind == RoundKind.AI else "Action-learning set"
        state = "closed" if line.status == RoundStatus.CLOSED else line.phase_name
        if line.status == RoundStatus.PAUSED:
            state += " (paused)"
        out.append(
            f"• #{line.id} {kind}: {escape(truncate(line.topic, 120))} · {state} · "
            f"{line.started_at:%d %b %Y}"
        )
    return "\n".join(out)


def home_section(lines: list[svc.RoundLine]) -> list[dict[str, Any]]:
    """Rounds running now, for the App Home."""
    running = [line for line in lines if line.status != RoundStatus.CLOSED]
    if not running:
        text = "*Rounds*\nNone running. `/round guide ai` and `/round guide als` teach the methods."
    else:
        text = round_list(running)
    return [section(truncate(text, 3000))]
