"""The convenors' App Home section on Kettle's own set-up: the doctor's last lines and what
waits in the outbox for someone to mend it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import prompts
from bot.builders.common import context, section
from bot.text import escape

MAX_LINES = 8  # the Home holds 100 blocks for every capability


def set_up_section(
    lines: list[str] | None, checked_at: float | None, waiting: tuple[int, str, str] | None
) -> list[dict[str, Any]]:
    """`lines` is None before the first check; [] when all is well."""
    p = prompts.load("doctor")["home"]
    blocks: list[dict[str, Any]] = [section(f"*{p['header']}*")]
    when = (
        datetime.fromtimestamp(checked_at, UTC).strftime("%Y-%m-%d %H:%M UTC") if checked_at else ""
    )
    if lines is None:
        blocks.append(context(p["checking"]))
    elif not lines:
        blocks.append(context(p["all_well"].format(when=when)))
    else:
        blocks.append(section(p["problems"].format(count=len(lines), when=when)))
        blocks.extend(section(f"• {escape(line)}") for line in lines[:MAX_LINES])
    if waiting is not None:
        count, error, channel = waiting
        where = f"<@{channel}>'s DM" if channel.startswith(("U", "W")) else f"<#{channel}>"
        blocks.append(section(p["waiting"].format(count=count, error=f"`{error}`", channel=where)))
    return blocks
