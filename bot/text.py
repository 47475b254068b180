"""Make user-written text safe to post: no pings, no broken formatting, within Slack's limits."""

from __future__ import annotations

import re

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def escape(text: str | None) -> str:
    """Escape Slack's control characters and defuse @channel/@here/@everyone.

    `<!channel>` and `<@U123>` become literal text because `<` and `>` are escaped; plain
    `@here` gets a zero-width joiner so no client links it either.
    """
    if not text:
        return ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@\u2060" + m.group(1), text)


# Around each word a search matched, in text as stored; `highlighted` makes them bold.
MARK_START = "\x02"
MARK_END = "\x03"
_MARKS = re.compile(f"{MARK_START}([^{MARK_START}{MARK_END}]*){MARK_END}")
_BROADCAST_MARKED = re.compile(r"@(\*?)(channel|here|everyone)\b", re.IGNORECASE)


def highlighted(text: str | None) -> str:
    """Member text with a search's marks made bold, escaped as `escape` does: a mark can
    neither carry Slack's control characters nor join `@` and `channel` into a ping."""
    if not text:
        return ""
    parts = _MARKS.split(text)  # even places: plain text; odd places: a matched word
    out = []
    for i, part in enumerate(parts):
        part = escape(part.replace(MARK_START, "").replace(MARK_END, "").replace("*", "∗"))
        out.append(f"*{part}*" if i % 2 and part.strip() else part)
    return _BROADCAST_MARKED.sub(lambda m: "@\u2060" + m.group(1) + m.group(2), "".join(out))


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))].rstrip() + ellipsis


def plain(text: str | None, limit: int) -> str:
    """Text for a plain_text field (no mrkdwn), cut to Slack's limit."""
    return truncate((text or "").strip() or " ", limit)


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


# -- text leaving Slack: spreadsheets and Markdown ---------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a leading `'` defuses a would-be formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")  # code, emphasis, links and images, tables, strikes
_MD_LINE_START = re.compile(r"^(?:[#+=-]|\d+(?=[.)]))")  # headings, lists, setext underlines


def markdown(text: str | None) -> str:
    """Member text inside Markdown, shown as written: no raw HTML, and no headings, quotes,
    lists, code, tables or links of its own (bare http(s) addresses may still be linked).

    Lines lose their indent, which would otherwise make them a code block.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # Markdown's other line endings
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    return "\n".join(
        _MD_LINE_START.sub(_escape_line_start, line.lstrip(" \t")) for line in text.split("\n")
    )


def _escape_line_start(match: re.Match[str]) -> str:
    marker = match.group(0)
    return f"{marker}\\" if marker[0].isdigit() else f"\\{marker}"


def markdown_line(text: str | None) -> str:
    """Member text for one line of Markdown (a heading, a list item): whitespace made one space."""
    return markdown(" ".join((text or "").split()))
