"""The wording the library and the file question share."""

from __future__ import annotations

from typing import Any

import prompts


def words() -> dict[str, Any]:
    """The library's and the files' wording, kept in prompts/knowledge.toml."""
    return prompts.load("knowledge")
