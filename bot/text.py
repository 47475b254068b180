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


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))].rstrip() + ellipsis


def plain(text: str | None, limit: int) -> str:
    """Text for a plain_text field (no mrkdwn), cut to Slack's limit."""
    return truncate((text or "").strip() or " ", limit)


def mention(user_id: str) -> str:
    return f"<@{user_id}>"
