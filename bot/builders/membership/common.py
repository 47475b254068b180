"""What the membership surfaces share: question inputs and their errors, long text packed
into sections, the group's mix as lines, a convenor's reason, dates in the reader's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import InputBlock, Option, PlainTextInputElement, StaticSelectElement

from bot.builders.common import date_token, section
from bot.builders.ids import MembershipIds
from bot.services.membership import DimensionMix, Question
from bot.text import escape, plain, truncate


def question_block_id(key: str) -> str:
    return f"{MembershipIds.QUESTION_PREFIX}{key}"


def block_errors(field_errors: dict[str, str]) -> dict[str, str]:
    """Service field errors (keyed by question key, "norms" or "reason") → modal block ids."""
    special = {"norms": MembershipIds.NORMS.value, "reason": MembershipIds.REASON.value}
    return {special.get(k, question_block_id(k)): v for k, v in field_errors.items()}


def question_input(q: Question, initial: str | None) -> InputBlock:
    element: Any
    if q.type == "select":
        options = [Option(value=v, text=plain(label, 75)) for v, label in q.options.items()][:100]
        chosen = next((o for o in options if o.value == initial), None)
        element = StaticSelectElement(
            action_id=MembershipIds.INPUT, options=options, initial_option=chosen
        )
    else:
        element = PlainTextInputElement(
            action_id=MembershipIds.INPUT,
            multiline=q.type == "long_text",
            max_length=q.max_length,
            initial_value=initial or None,
        )
    return InputBlock(
        block_id=question_block_id(q.key),
        label=plain(q.label, 2000),
        element=element,
        optional=not q.required,
    )


def packed_sections(lines: list[str], *, limit: int = 3000, max_blocks: int = 50) -> list[dict]:
    """Lines packed into as few sections as Slack's 3000-character limit allows, so nothing
    long is cut off; past `max_blocks` the rest is counted, not dropped silently."""
    chunks: list[str] = []
    for line in lines:
        line = truncate(line, limit)
        if chunks and len(chunks[-1]) + 1 + len(line) <= limit:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    if len(chunks) > max_blocks:
        hidden = sum(chunk.count("\n") + 1 for chunk in chunks[max_blocks - 1 :])
        chunks = [*chunks[: max_blocks - 1], f"_…and {hidden} more lines._"]
    return [section(chunk) for chunk in chunks]


def mix_lines(mix: list[DimensionMix], *, with_after: bool) -> list[str]:
    lines = []
    for dim in mix:
        parts = []
        for v in dim.values:
            count = f"{v.before}→{v.after}" if with_after and v.after != v.before else f"{v.before}"
            label = f"*{escape(v.label)}*" if dim.applicant_value == v.value else escape(v.label)
            parts.append(f"{label} {count}")
        line = f"*{escape(dim.label)}*: " + " · ".join(parts)
        if dim.thin_labels:
            line += f"\n      _thin on: {escape(', '.join(dim.thin_labels))}_"
        if with_after and dim.fills_thin_spot:
            line += "  :seedling: _they would strengthen a thin spot_"
        lines.append(line)
    return lines


def with_reason(template: str, community_name: str, reason: str | None) -> str:
    """A message (from prompts) with the convenor's reason set apart as a quote, line by line:
    Slack's _italics_ and quotes do not span lines, so a multi-line reason in _…_ would show
    stray underscores. Words after `{reason}` in the template start a new paragraph."""
    quote = ""
    if reason and reason.strip():
        lines = reason.strip().splitlines()
        quote = "\n\n" + "\n".join(f">{escape(line)}" for line in lines) + "\n\n"
    text = template.format(community=escape(community_name), reason=quote)
    return text.replace("\n\n ", "\n\n").strip()


def local_time(when: datetime) -> str:
    """A moment Slack shows in each reader's own time zone (UTC as the fallback text)."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return date_token(aware, "{date_short} {time}", f"{aware:%d %b %Y %H:%M} UTC")


def local_date(when: datetime) -> str:
    """A day as Slack shows it in each reader's own time zone (UTC as the fallback text)."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return date_token(aware, "{date_short}", f"{aware:%d %b %Y}")
