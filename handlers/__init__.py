"""Bolt listeners, one module per capability; each has `register(app)`."""

from __future__ import annotations

from slack_bolt import App


def register_handlers(app: App) -> None:
    from handlers import checkins, errors, home, membership, stories

    errors.register(app)
    home.register(app)
    membership.register(app)
    stories.register(app)
    checkins.register(app)
