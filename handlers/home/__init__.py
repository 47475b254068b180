"""Kettle's own surfaces in Slack: the App Home tab, composed from each capability's section
(`tab`), and the answer to someone who writes in the Messages tab (`messages`).

Other capabilities use `from handlers import home` and call `home.add_section(...)` and
`home.publish_home(...)` (or `home.publish_home_later(...)` after an ack); those names are re-exported here from `tab`."""

from __future__ import annotations

from slack_bolt import App

from handlers.home import messages, tab
from handlers.home.tab import (
    HomeSection,
    add_outsider_section,
    add_section,
    build_home,
    publish_home,
    publish_home_later,
)


def register(app: App) -> None:
    messages.register(app)
    tab.register(app)


__all__ = [
    "HomeSection",
    "add_outsider_section",
    "add_section",
    "build_home",
    "publish_home",
    "publish_home_later",
    "register",
]
