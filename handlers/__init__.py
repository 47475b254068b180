"""Bolt listeners, one package per capability; each has `register(app)`."""

from __future__ import annotations

from slack_bolt import App


def register_handlers(app: App) -> None:
    from handlers import (
        checkins,
        doctor,
        errors,
        home,
        knowledge,
        meetings,
        membership,
        pairing,
        rounds,
        stories,
    )

    errors.register(app)
    home.register(app)
    doctor.register(app)
    membership.register(app)
    rounds.register(app)
    meetings.register(app)
    pairing.register(app)
    stories.register(app)
    knowledge.register(app)
    checkins.register(app)
