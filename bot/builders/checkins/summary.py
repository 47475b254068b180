"""What the convenors receive: the weekly summary of shared answers, and a care nudge."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot import privacy
from bot.builders.checkins.words import mood_word, texts
from bot.builders.common import context, section
from bot.models import Checkin
from bot.services.checkins import CareSignal, Summary
from bot.text import escape, plain, truncate


def _entry(checkin: Checkin) -> str:
    """What one member shared, every word escaped."""
    p = texts()
    name = escape(checkin.member.name if checkin.member else "A member")
    lines = [f"*{name}* · {mood_word(checkin.mood)}"]
    for key, label in (
        ("support", p["support_label"]),
        ("on_mind", p["on_mind_label"]),
        ("win", p["win_label"]),
        ("challenge", p["challenge_label"]),
    ):
        value = getattr(checkin, key)
        if value:
            lines.append(f"_{label}_ {escape(truncate(value, 400))}")
    return truncate("\n".join(lines), 3000)


def _packed(entries: list[str], limit: int = 3000) -> list[str]:
    """Several members' entries to a section (Slack allows 50 blocks a message), each section
    within Slack's 3,000 characters."""
    chunks: list[str] = []
    for entry in entries:
        if chunks and len(chunks[-1]) + 2 + len(entry) <= limit:
            chunks[-1] += "\n\n" + entry
        else:
            chunks.append(entry)
    return chunks


def summary_message(summary: Summary) -> tuple[str, list[dict[str, Any]]]:
    """The convenors' weekly summary; at most 50 blocks, support requests first."""
    p = texts()
    title = p["summary_title"].format(week=summary.week)
    if summary.moods is None:
        mood = p["summary_too_few"].format(min=privacy.MIN_SHARED)
    else:
        moods = summary.moods
        spread = "  ".join(
            f"{p['mood_emoji'].get(str(level), '')} {moods.get(level, 0)}" for level in range(1, 6)
        )
        mood = p["summary_mood"].format(spread=spread)
    blocks: list[dict[str, Any]] = [
        HeaderBlock(text=plain(title, 150)).to_dict(),
        SectionBlock(
            text=MarkdownTextObject(
                text=p["summary_counts"].format(shared=summary.shared_count, sent=summary.sent)
                + "\n"
                + mood
            )
        ).to_dict(),
    ]
    for heading, entries in (
        (p["summary_support_heading"], summary.support),
        (p["summary_shared_heading"], summary.shared),
    ):
        if entries:
            blocks.append(section(heading))
            chunks = _packed([_entry(c) for c in entries])
            blocks.extend(section(chunk) for chunk in chunks)
    if not summary.support and not summary.shared:
        blocks.append(context(p["summary_nothing_shared"]))
    if len(blocks) > 50:
        hidden = len(blocks) - 49
        blocks = [
            *blocks[:49],
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"…and {hidden} more sections: too many for one message."
                    )
                ]
            ).to_dict(),
        ]
    return title, blocks


def care_message(signal: CareSignal) -> tuple[str, list[dict[str, Any]]]:
    p = texts()
    name = escape(signal.name)
    body = p["care_support"].format(name=name)
    return p["care_text"].format(name=name), [section(truncate(body, 3000))]
