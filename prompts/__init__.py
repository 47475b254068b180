"""Facilitation content as data: TOML files a convenor can edit without touching code.

Set KETTLE_PROMPTS_DIR to a folder holding edited copies; any file missing there falls back to
the copy shipped with Kettle. Files are re-read when they change, so edits need no restart:
each file is looked at again (where it is, when it last changed) at most once a second.
"""

from __future__ import annotations

import os
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).parent
# How long a file read is trusted before its folder and change time are looked at again: a
# week's check-ins load their wording 10,000 times, and each look is a few system calls.
RECHECK_SECONDS = 1.0
_cache: dict[Path, tuple[float, dict[str, Any]]] = {}
# name -> (the KETTLE_PROMPTS_DIR it was found under, when it was last looked at, its contents)
_fresh: dict[str, tuple[str, float, dict[str, Any]]] = {}
_lock = threading.Lock()


class PromptError(Exception):
    """A prompts file is missing or not valid TOML; the message names the file."""


def _path(name: str) -> Path:
    override = os.environ.get("KETTLE_PROMPTS_DIR", "").strip()
    if override:
        candidate = Path(override) / f"{name}.toml"
        if candidate.is_file():
            return candidate
    return PACKAGE_DIR / f"{name}.toml"


def load(name: str) -> dict[str, Any]:
    """The parsed contents of prompts/<name>.toml."""
    override = os.environ.get("KETTLE_PROMPTS_DIR", "")
    now = time.monotonic()
    fresh = _fresh.get(name)
    if fresh is not None and fresh[0] == override and now - fresh[1] < RECHECK_SECONDS:
        return fresh[2]
    data = _read(name)
    _fresh[name] = (override, now, data)
    return data


def _read(name: str) -> dict[str, Any]:
    path = _path(name)
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError as exc:
        raise PromptError(f"prompts file {path} is missing") from exc
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(f"prompts file {path} is not valid TOML: {exc}") from exc
    with _lock:
        _cache[path] = (mtime, data)
    return data


def names() -> list[str]:
    return sorted(p.stem for p in PACKAGE_DIR.glob("*.toml"))
