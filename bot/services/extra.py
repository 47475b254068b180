"""Numbers a deployment sets in KETTLE_* variables beyond the named settings (Settings.extra)."""

from __future__ import annotations

from collections.abc import Mapping


def extra_number(extra: Mapping[str, str], name: str) -> int | None:
    """A whole number from `extra[name]`, or None when it is unset, blank or not digits."""
    text = (extra.get(name) or "").strip()
    return int(text) if text.isdigit() else None
