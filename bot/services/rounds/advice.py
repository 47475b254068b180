"""Coaching in an action-learning set's question phases. The ground rule (Marquardt and WIAL)
is questions only, so a reply that gives advice gets its author a private tip, and the set's
adviser a private note with an intervention they might use (the handler sends each at most once
a phase). Advice is read sentence by sentence: said outright ("You should…"), or dressed as a
question ("Have you tried…?", "Why don't you…?", "Could you just…?"); a tentative "I just
wonder…" and a genuine open question ("What matters most to you?") are never flagged, nor is a
request to say more ("Could you tell us more?")."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from bot.services.rounds.method import prompts_

_SENTENCES = re.compile(r"(?<=[.?!…])\s+|\n+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_LEAD = re.compile(
    r"^[\s\"'(\-–—*_>]+|^(?:(?:so|and|but|ok|okay|well|hmm|right|also),?\s+)+", re.IGNORECASE
)


@lru_cache(maxsize=8)
def _compiled(key: str, patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def _rules() -> dict[str, tuple[re.Pattern[str], ...]]:
    advice: dict[str, Any] = prompts_()["advice"]
    return {
        key: _compiled(key, tuple(advice.get(key) or ()))
        for key in ("exempt", "clarify", "dressed", "open", "patterns")
    }


def sentences(text: str) -> list[str]:
    """The message in sentences, each without its leading quote marks or fillers ("So, …")."""
    plain = " ".join((text or "").translate(_QUOTES).split(" "))
    out = []
    for part in _SENTENCES.split(plain):
        part = _LEAD.sub("", part.strip()).strip()
        if part:
            out.append(part)
    return out


def advice_in(sentence: str, rules: dict[str, tuple[re.Pattern[str], ...]] | None = None) -> bool:
    """One sentence gives advice: outright, or dressed as a question."""
    rules = rules or _rules()
    if any(p.search(sentence) for p in rules["exempt"]):
        return False
    if any(p.search(sentence) for p in rules["clarify"]):
        return False
    if any(p.search(sentence) for p in rules["dressed"]):
        return True
    if any(p.search(sentence) for p in rules["open"]):
        return False
    return any(p.search(sentence) for p in rules["patterns"])


def looks_like_advice(text: str) -> bool:
    """Advice rather than a question, in any sentence of the message."""
    rules = _rules()
    return any(advice_in(s, rules) for s in sentences(text))


def coaching_tip(round_id: int, member_id: int) -> str:
    tips = list(prompts_()["advice"]["tips"])
    return str(tips[(round_id + member_id) % len(tips)])
