"""Kettle's words as data: an edited copy in KETTLE_PROMPTS_DIR is used, an edit is seen without
a restart (within a second), a file not copied keeps the shipped wording, and a broken file is
named."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import prompts


def _edited(folder: Path, title: str) -> None:
    shipped = (prompts.PACKAGE_DIR / "kettle.toml").read_text(encoding="utf-8")
    assert shipped.count('error = "Sorry,') == 1
    (folder / "kettle.toml").write_text(
        shipped.replace('error = "Sorry,', f'error = "{title},', 1), encoding="utf-8"
    )


def test_an_edited_copy_is_used_and_an_edit_is_seen_without_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = prompts.load("kettle")["error"]
    _edited(tmp_path, "Teapot")
    monkeypatch.setenv("KETTLE_PROMPTS_DIR", str(tmp_path))
    assert prompts.load("kettle")["error"].startswith("Teapot,")
    assert "kinds" in prompts.load("stories")  # not copied: the shipped file

    _edited(tmp_path, "Samovar")
    time.sleep(prompts.RECHECK_SECONDS + 0.05)
    assert prompts.load("kettle")["error"].startswith("Samovar,")

    monkeypatch.delenv("KETTLE_PROMPTS_DIR")
    assert prompts.load("kettle")["error"] == shipped  # the folder unset: at once


def test_a_broken_copy_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "kettle.toml").write_text("error = \n", encoding="utf-8")
    monkeypatch.setenv("KETTLE_PROMPTS_DIR", str(tmp_path))
    with pytest.raises(prompts.PromptError, match=r"kettle\.toml"):
        prompts.load("kettle")
