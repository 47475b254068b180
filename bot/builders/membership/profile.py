"""Profiles: the form, the member's App Home section with the group's mix, the directory."""

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

from bot.builders.common import context, modal, section
from bot.builders.ids import MembershipIds
from bot.builders.membership.common import mix_lines, packed_sections, question_input
from bot.models import Role
from bot.services.membership import DimensionMix, DirectoryEntry, Question
from bot.text import escape, plain, truncate


def profile_modal(questions: list[Question], answers: dict[str, Any], show: bool) -> dict:
    show_option = Option(
        value=MembershipIds.SHOW_YES,
        text=plain("Show my answers to other members in the directory", 75),
    )
    blocks: list[Any] = [
        SectionBlock(
            text=MarkdownTextObject(
                text="Your profile helps the group know who's here and see its mix. "
                "Other members see your answers, and count them in the mix, only if you choose "
                "to show them; the convenors count every profile when they review applications."
            )
        )
    ]
    blocks += [question_input(q, answers.get(q.key)) for q in questions[:95]]
    blocks.append(
        InputBlock(
            block_id=MembershipIds.SHOW,
            label="The member directory",
            optional=True,
            element=CheckboxesElement(
                action_id=MembershipIds.INPUT,
                options=[show_option],
                initial_options=[show_option] if show else None,
            ),
        )
    )
    return modal(
        callback_id=MembershipIds.PROFILE_MODAL,
        title="Your profile",
        submit="Save",
        close="Cancel",
        blocks=blocks,
    )


def member_section(mix: list[DimensionMix], members: int, has_profile: bool) -> list[dict]:
    known = [dim for dim in mix if any(v.before for v in dim.values)]
    lines = mix_lines(known, with_after=False) or [
        "_Nobody shows their profile answers yet, so the group's mix is still a mystery._"
    ]
    text = f"*The group* · {members} members\n" + "\n".join(lines)
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(text=truncate(text, 3000)),
            accessory=ButtonElement(
                text="Edit my profile" if has_profile else "Fill in my profile",
                action_id=MembershipIds.PROFILE_BUTTON,
            ),
        ).to_dict(),
        context("`/cop members` lists who's here · `/cop norms` · `/cop mydata` · `/cop leave`"),
    ]
    return blocks


def _directory_lines(entries: list[DirectoryEntry]) -> list[str]:
    lines = []
    for e in entries:
        role = " (convenor)" if e.role == Role.CONVENOR else ""
        shown = "; ".join(f"{escape(k)}: {escape(v)}" for k, v in e.shown.items())
        lines.append(f"• <@{e.user_id}>{role}" + (f" — {shown}" if shown else ""))
    return lines


MIX_HEADING = "*The group's mix* (from the answers members show)"


def directory_text(entries: list[DirectoryEntry], mix: list[DimensionMix]) -> str:
    """The directory as plain message text (the notification fallback for the blocks)."""
    text = f"*Members* ({len(entries)})\n" + "\n".join(_directory_lines(entries))
    text += f"\n\n{MIX_HEADING}\n" + "\n".join(mix_lines(mix, with_after=False))
    return truncate(text, 3000)


def directory_blocks(entries: list[DirectoryEntry], mix: list[DimensionMix]) -> list[dict]:
    """The directory in full: the mix first (it is short), then every member."""
    mix_text = f"{MIX_HEADING}\n" + "\n".join(mix_lines(mix, with_after=False))
    blocks = [section(truncate(mix_text, 3000))]
    members = [f"*Members* ({len(entries)})", *_directory_lines(entries)]
    return blocks + packed_sections(members, max_blocks=49)
