"""What a round leaves behind: its contributions by phase and its commitments, as one text kept
on the round (for the closing post, the library and `kettle export`)."""

from __future__ import annotations

from bot.models import Round
from bot.services.rounds.commitments import local_due
from bot.services.rounds.method import phase_at, step_count, who
from bot.text import escape


def synthesis(round_: Round) -> str:
    """Contributions grouped by phase, and the commitments; member text escaped."""
    lines: list[str] = []
    for index in range(step_count(round_)):
        said = [c for c in round_.contributions if c.phase_index == index]
        ph = phase_at(round_, index)
        if not said or ph is None:
            continue
        lines.append(f"*{ph['name']}*")
        lines += [f"• {escape(c.text)} ({who(c.member, c.anonymous)})" for c in said]
    if round_.commitments:
        lines.append("*Commitments*")
        lines += [
            f"• {who(c.member)}: {escape(c.what)} (by {local_due(c):%d %b %Y})"
            for c in round_.commitments
        ]
    if not lines:
        lines.append("_Nothing was written down this time._")
    return "\n".join(lines)
