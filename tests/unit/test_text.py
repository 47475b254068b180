"""User text cannot ping anyone or break Slack's formatting."""

from __future__ import annotations

from bot.text import csv_cell, escape, markdown, markdown_line, truncate


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


def test_csv_cell_defuses_formulas() -> None:
    for lead in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_cell(f"{lead}1+1") == f"'{lead}1+1"
    assert csv_cell("Tea = good") == "Tea = good"
    assert csv_cell(42) == 42 and csv_cell(None) is None and csv_cell("") == ""


def test_markdown_shows_member_text_as_written() -> None:
    assert markdown("# Title\n> quote\n- item\n+ item\n12. item\n===") == (
        "\\# Title\n&gt; quote\n\\- item\n\\+ item\n12\\. item\n\\==="
    )
    assert markdown("<b>x</b> & [a](javascript:x) `c` *e* _u_ ~s~ |t|") == (
        "&lt;b&gt;x&lt;/b&gt; &amp; \\[a\\](javascript:x) \\`c\\` \\*e\\* \\_u\\_ \\~s\\~ \\|t\\|"
    )
    assert markdown("    code\r# heading") == "code\n\\# heading"
    assert markdown("Tea at 3. 100% fine - yes!") == "Tea at 3. 100% fine - yes!"
    assert markdown(None) == "" and markdown_line(" two\n# lines ") == "two # lines"
