"""Coaching in an action-learning set's question phases: a reply that gives advice instead of
asking gets its author a private tip (the handler sends it at most once a phase)."""

from __future__ import annotations

import re

from bot.services.rounds.method import prompts_


def looks_like_advice(text: str) -> bool:
    """Advice rather than a question: matches a pattern from prompts and asks nothing."""
    if not text or "?" in text:
        return False
    patterns = prompts_()["advice"]["patterns"]
    return any(re.search(p, text, re.IGNORECASE) for p in patterns)


def coaching_tip(round_id: int, member_id: int) -> str:
    tips = list(prompts_()["advice"]["tips"])
    return str(tips[(round_id + member_id) % len(tips)])
