"""Applying: the form with the purpose, criteria and norms; the outsider's Apply button;
the welcome an approved applicant reads."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ButtonElement,
    CheckboxesElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
)

import prompts
from bot.builders.common import modal, section
from bot.builders.ids import MembershipIds
from bot.builders.membership.common import question_input
from bot.models import Application, ApplicationStatus
from bot.services.membership import Criterion, Question
from bot.text import escape, plain, truncate


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def criteria_text(criteria: list[Criterion]) -> str:
    return "*What we look for*\n" + _bullets([escape(c.text) for c in criteria])


def norms_text() -> str:
    return _bullets([escape(n) for n in prompts.load("membership").get("norms", [])])


def apply_modal(community_name: str, questions: list[Question], criteria: list[Criterion]) -> dict:
    """The application form: purpose and criteria first, then the profile, then the norms."""
    p = prompts.load("membership")
    blocks: list[Any] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{escape(community_name)}*\n{p['purpose']}")),
        SectionBlock(text=MarkdownTextObject(text=truncate(criteria_text(criteria), 3000))),
    ]
    blocks += [question_input(q, None) for q in questions[:90]]
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(text=truncate(f"*{p['norms_label']}*\n{norms_text()}", 3000))
        )
    )
    blocks.append(
        InputBlock(
            block_id=MembershipIds.NORMS,
            label=plain(p["norms_label"], 2000),
            element=CheckboxesElement(
                action_id=MembershipIds.INPUT,
                options=[Option(value=MembershipIds.NORMS_YES, text=plain(p["norms_agree"], 75))],
            ),
        )
    )
    return modal(
        callback_id=MembershipIds.APPLY_MODAL,
        title=p["apply_title"],
        submit=p["apply_submit"],
        close="Cancel",
        blocks=blocks,
    )


def outsider_section(application: Application | None) -> list[dict]:
    if application is not None:
        where = (
            "on the waitlist"
            if application.status == ApplicationStatus.WAITLISTED
            else "with the convenors"
        )
        return [section(f"Your application is {where}; you'll hear back in a direct message.")]
    p = prompts.load("membership")
    return [
        SectionBlock(
            text=MarkdownTextObject(text=truncate(p["purpose"], 3000)),
            accessory=ButtonElement(
                text="Apply to join", action_id=MembershipIds.APPLY_BUTTON, style="primary"
            ),
        ).to_dict()
    ]


def welcome_text(community_name: str, channel_id: str | None) -> str:
    p = prompts.load("membership")
    guides = _bullets([f"<{g['url']}|{escape(g['title'])}>" for g in p.get("guides", [])])
    return p["welcome"].format(
        community=escape(community_name),
        channel=channel_id or "",
        norms=norms_text(),
        guides=guides,
    )
