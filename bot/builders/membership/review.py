"""Reviewing: the review modal, the convenor's application cards, the decision log."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)

from bot.builders.common import context, modal
from bot.builders.ids import MembershipIds
from bot.builders.membership.common import local_date, local_time, mix_lines, packed_sections
from bot.models import Application, ApplicationStatus, Decision
from bot.services.membership import Criterion, DimensionMix, Question
from bot.text import escape, plain, truncate

DECISION_LABELS = {
    ApplicationStatus.APPROVED.value: "Approve",
    ApplicationStatus.WAITLISTED.value: "Waitlist",
    ApplicationStatus.DECLINED.value: "Decline (a reason is required)",
}


def answer_lines(questions: list[Question], answers: dict[str, Any]) -> list[str]:
    return [f"*{escape(q.label)}*: {escape(q.show(answers.get(q.key)))}" for q in questions]


def criteria_met_text(met: list[tuple[Criterion, bool | None]]) -> str:
    marks = {True: ":white_check_mark:", False: ":x:", None: ":grey_question:"}
    lines = [f"{marks[ok]} {escape(c.text)}" for c, ok in met]
    return "*Criteria*\n" + "\n".join(lines) + "\n_:grey_question: is for the convenors to judge_"


def mix_summary(mix: list[DimensionMix]) -> str:
    """One line for a card: which thin spots this applicant would fill."""
    filled = [d.label for d in mix if d.fills_thin_spot]
    if not filled:
        return "Doesn't fill a thin spot in the group's mix."
    return "Would strengthen thin spots in: " + escape(", ".join(filled))


def review_modal(
    application: Application,
    questions: list[Question],
    met: list[tuple[Criterion, bool | None]],
    mix: list[DimensionMix],
    *,
    members: int,
    capacity: int,
) -> dict:
    status = application.status.value
    room = f"{members} of {capacity} places taken" + (
        " — the group is full: approving puts them on the waitlist" if members >= capacity else ""
    )
    options = [Option(value=v, text=label) for v, label in DECISION_LABELS.items()]
    blocks: list[Any] = [
        HeaderBlock(text=plain(f"{application.name} applied", 150)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"<@{application.user_id}> · {status} · applied "
                    f"{local_date(application.created_at)} · {room}"
                )
            ]
        ),
        *packed_sections(answer_lines(questions, application.answers)),
        SectionBlock(text=MarkdownTextObject(text=truncate(criteria_met_text(met), 3000))),
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(
                    "*How the group's mix would change* (members now → with them)\n"
                    + "\n".join(mix_lines(mix, with_after=True)),
                    3000,
                )
            )
        ),
        InputBlock(
            block_id=MembershipIds.DECISION,
            label="Decision",
            element=RadioButtonsElement(action_id=MembershipIds.INPUT, options=options),
        ),
        InputBlock(
            block_id=MembershipIds.REASON,
            label="Reason (they will read it)",
            optional=True,
            element=PlainTextInputElement(
                action_id=MembershipIds.INPUT, multiline=True, max_length=1000
            ),
        ),
    ]
    return modal(
        callback_id=MembershipIds.REVIEW_MODAL,
        title="Review application",
        submit="Decide",
        close="Cancel",
        private_metadata=json.dumps({"application_id": application.id, "status": status}),
        blocks=blocks,
    )


def application_card(
    application: Application, mix: list[DimensionMix], met_count: str
) -> list[dict]:
    waiting = " (waitlisted)" if application.status == ApplicationStatus.WAITLISTED else ""
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{escape(application.name)}*{waiting} · applied "
                f"{local_date(application.created_at)}\n{met_count} · {mix_summary(mix)}"
            ),
            accessory=ButtonElement(
                text="Review",
                action_id=MembershipIds.REVIEW_BUTTON,
                value=str(application.id),
            ),
        ).to_dict()
    ]


SHOWN_CARDS = 8


def convenor_section(
    cards: list[list[dict]], *, waiting: int, members: int, capacity: int, offset: int = 0
) -> list[dict]:
    """The applications waiting, a page of cards at a time (`offset`: how many came before);
    a button carries the next page's offset."""
    blocks: list[dict] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*Applications* · {waiting} waiting · {members} of {capacity} places taken"
            )
        ).to_dict()
    ]
    if not cards:
        blocks.append(context("No applications are waiting."))
    shown = cards[:SHOWN_CARDS]
    for card in shown:
        blocks.extend(card)
    if waiting > offset + len(shown):
        more = waiting - offset - len(shown)
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=f"…and {more} more waiting."),
                accessory=ButtonElement(
                    text="More applications",
                    action_id=MembershipIds.APPLICATIONS_MORE,
                    value=str(offset + len(shown)),
                ),
            ).to_dict()
        )
    blocks.append(context("`/cop log` shows every decision; `/cop capacity N` changes the size."))
    return blocks


def applications_modal(blocks: list[dict]) -> dict:
    """A page of the applications waiting, opened from the App Home's "More applications"."""
    return modal(title="Applications", blocks=blocks, close="Close")


DECISION_WORDS = {
    "applied": "applied",
    "approved": "approved",
    "declined": "declined",
    "waitlisted": "waitlisted",
    "removed": "removed",
    "left": "left",
    "appointed": "appointed convenor",
    "stood_down": "stood down as convenor",
    "forgotten": "forgotten at their request",
    "capacity": "capacity changed",
    "unapproved_join": "added to the channel without approval",
}


def log_text(decisions: list[Decision]) -> str:
    if not decisions:
        return "No decisions yet."
    lines = []
    for d in decisions:
        who = escape(d.subject_name) if d.subject_name else ""
        by = f" by {escape(d.actor_name)}" if d.actor_id or d.actor_name != d.subject_name else ""
        why = f" — _{escape(truncate(d.reason, 200))}_" if d.reason else ""
        word = DECISION_WORDS.get(d.kind.value, d.kind.value)
        lines.append(f"• {local_time(d.created_at)} {who} {word}{by}{why}".replace("  ", " "))
    return truncate("*Decision log* (newest first)\n" + "\n".join(lines), 3000)
