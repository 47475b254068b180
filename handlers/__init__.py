"""Bolt listeners, one package per capability; each has `register(app)`."""

from __future__ import annotations

from slack_bolt import App


def register_handlers(app: App) -> None:
    from handlers import (
        checkins,
        errors,
        home,
        knowledge,
        meetings,
        membership,
        pairing,
        registry,
        rounds,
        stories,
    )

    errors.register(app)
    home.register(app)
    membership.register(app)
    rounds.register(app)
    meetings.register(app)
    pairing.register(app)
    stories.register(app)
    knowledge.register(app)
    checkins.register(app)
    registry.match_on_body(app)  # last: every listener is registered by now
