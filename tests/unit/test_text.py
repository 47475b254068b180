"""User text cannot ping anyone or break Slack's formatting."""

from __future__ import annotations

from bot.text import escape, truncate


def test_escape_neutralises_mentions_and_broadcasts() -> None:
    out = escape("Hi <!channel> <!here> <@U123> @here @channel @everyone & <b>")
    assert "<" not in out and ">" not in out
    assert "&lt;!channel&gt;" in out and "&lt;@U123&gt;" in out
    assert "&amp;" in out
    for word in ("here", "channel", "everyone"):
        assert f"@{word}" not in out
        assert f"@\u2060{word}" in out


def test_escape_keeps_ordinary_text() -> None:
    assert escape("Tea at 3? Yes: biscuits too.") == "Tea at 3? Yes: biscuits too."
    assert escape(None) == ""


def test_truncate() -> None:
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("abc", 4) == "abc"
