"""What Kettle asks applicants and members (the profile questions) and what the group looks
for (the selection criteria), read from prompts/membership.toml."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import prompts
from bot.errors import InvalidInput


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    type: str  # "select", "text" or "long_text"
    options: dict[str, str] = field(default_factory=dict)
    dimension: bool = False
    public: bool = False
    required: bool = True

    @property
    def max_length(self) -> int:
        return 1500 if self.type == "long_text" else 200

    def show(self, value: Any) -> str:
        if value in (None, ""):
            return "—"
        return self.options.get(str(value), str(value)) if self.options else str(value)


@dataclass(frozen=True)
class Criterion:
    text: str
    question: str | None = None
    any_of: tuple[str, ...] = ()
    min_length: int | None = None

    def check(self, answers: dict[str, Any]) -> bool | None:
        """True or False when Kettle can tell from the answers; None when a convenor judges."""
        if not self.question:
            return None
        value = answers.get(self.question)
        if self.any_of:
            return str(value) in self.any_of
        if self.min_length is not None:
            return len(str(value or "").strip()) >= self.min_length
        return None


def questions() -> list[Question]:
    out = []
    for q in prompts.load("membership").get("questions", []):
        options = {str(k): str(v) for k, v in (q.get("options") or {}).items()}
        kind = q.get("type", "select" if options else "text")
        out.append(
            Question(
                key=str(q["key"]),
                label=str(q["label"]),
                type=kind,
                options=options,
                dimension=bool(q.get("dimension", False)) and kind == "select",
                public=bool(q.get("public", False)),
                required=bool(q.get("required", True)),
            )
        )
    return out


def criteria() -> list[Criterion]:
    return [
        Criterion(
            text=str(c["text"]),
            question=c.get("question"),
            any_of=tuple(str(v) for v in c.get("any_of", ())),
            min_length=c.get("min_length"),
        )
        for c in prompts.load("membership").get("criteria", [])
    ]


def criteria_met(answers: dict[str, Any]) -> list[tuple[Criterion, bool | None]]:
    return [(c, c.check(answers)) for c in criteria()]


def validate_answers(raw: dict[str, Any]) -> dict[str, str]:
    """Clean answers keyed by question; InvalidInput's field_errors are keyed by question key."""
    answers: dict[str, str] = {}
    errors: dict[str, str] = {}
    for q in questions():
        given = str(raw.get(q.key) or "")
        value = given.strip() if q.type == "long_text" else " ".join(given.split())
        if q.options and value and value not in q.options:
            errors[q.key] = "Please choose one of the options."
        elif q.required and not value:
            errors[q.key] = "Please answer this."
        elif len(value) > q.max_length:
            errors[q.key] = f"Please keep it under {q.max_length} characters."
        if value:
            answers[q.key] = value
    if errors:
        raise InvalidInput("Some answers need another look.", errors)
    return answers
