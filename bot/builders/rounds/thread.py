"""What a round posts in its thread: the opening, each phase with its controls, each
contribution or commitment, and the synthesis at the close."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, MarkdownTextObject, SectionBlock

from bot.builders.ids import RoundIds
from bot.builders.rounds.inquiry import core_line
from bot.builders.rounds.parts import button, prompts_, slack_time
from bot.builders.rounds.sets import set_opening
from bot.models import Round, RoundKind, RoundMode
from bot.services import rounds as svc
from bot.text import escape, truncate


def opening(round_: Round) -> tuple[str, list[dict[str, Any]]]:
    p = prompts_()
    if round_.kind == RoundKind.AI:
        anon = p["ai"]["anonymous_allowed"] if round_.allow_anonymous else ""
        pace = p["ai"]["pace_async" if round_.mode == RoundMode.ASYNC else "pace_live"]
        text = p["ai"]["opening"].format(topic=escape(round_.topic), anonymous=anon, pace=pace)
    elif round_.set_id is not None:
        text = set_opening(round_)
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


def controls(round_: Round) -> ActionsBlock:
    value = f"{round_.id}:{round_.phase_index}"
    ph = svc.phase(round_) or {}
    elements = []
    if any(
        ph.get(k) for k in ("contributes", "reflection", "commitments", "restate", "review")
    ) or (ph.get("report_back")):
        label = "Commit" if ph.get("commitments") else "Contribute"
        label = "Report back" if ph.get("report_back") else label
        elements.append(button(label, RoundIds.CONTRIBUTE, value, "primary"))
    if round_.kind == RoundKind.AI and ph.get("interviews"):
        elements.append(button("I'd like an interview", RoundIds.INTERVIEW, value))
        elements.append(button("Pair us for interviews", RoundIds.PAIR, value))
    if round_.kind == RoundKind.AI and (ph.get("themes") or ph.get("propositions")):
        label = "Positive core" if ph.get("themes") else "Propositions"
        elements.append(button(label, RoundIds.CHOICES, value))
    last = round_.phase_index + 1 >= svc.step_count(round_)
    elements += [
        button("Finish" if last else "Next phase", RoundIds.NEXT, value),
        button("Pause", RoundIds.PAUSE, value),
        button("Resume", RoundIds.RESUME, value),
        button("+5 min", RoundIds.EXTEND, value),
        button("End", RoundIds.END, value, "danger"),
    ]
    return ActionsBlock(elements=elements)


def phase_post(round_: Round) -> tuple[str, list[dict[str, Any]]]:
    p = prompts_()
    ph = svc.phase(round_) or {}
    head = p["messages"]["phase"].format(
        emoji=ph.get("emoji", ""), name=ph.get("name", ""), summary=ph.get("summary", "")
    )
    lines = [head]
    if ph.get("core") and core_line(round_):
        lines.append(core_line(round_))
    lines += [f"• {q}" for q in ph.get("questions", [])]
    if round_.phase_deadline is not None and round_.mode == RoundMode.ASYNC:
        lines.append(
            p["asynchronous"]["time_box"].format(until=slack_time(round_.phase_deadline, day=True))
        )
    elif round_.phase_deadline is not None:
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
    p = prompts_()["messages"]
    ph = svc.phase_at(round_, phase_index) or {}
    name = ph.get("name", "")
    if round_.kind == RoundKind.ALS:
        line = str(ph.get("line") or p["reflection"])
        return truncate(line.format(who=who, text=escape(text)), 3000)
    return truncate(p["contribution"].format(who=who, phase=name, text=escape(text)), 3000)


def commitment_text(who: str, what: str, due: datetime) -> str:
    return truncate(
        prompts_()["messages"]["commitment"].format(
            who=who, what=escape(what), when=f"{due:%a %d %b}"
        ),
        3000,
    )


def synthesis_post(round_: Round) -> tuple[str, list[dict[str, Any]]]:
    p = prompts_()
    if round_.kind == RoundKind.AI:
        head = p["ai"]["closing"].format(topic=escape(truncate(round_.topic, 200)))
    elif round_.set_id is not None:
        head = p["als"]["set_closing"].format(name=escape(truncate(round_.topic, 200)))
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
