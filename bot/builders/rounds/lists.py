"""Rounds listed: `/round list` and the App Home's section."""

from __future__ import annotations

from typing import Any

from bot.builders.common import section
from bot.models import RoundKind, RoundStatus
from bot.services import rounds as svc
from bot.text import escape, truncate


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
