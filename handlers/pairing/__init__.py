"""/cop pairing, the App Home's pairing buttons, and the 'did you meet?' answers. Each concern
has its module; this one registers them and adds the App Home section."""

from __future__ import annotations

from slack_bolt import App

from bot.builders.ids import Command, PairingIds
from handlers import home as app_home  # `home` here is this package's own home module
from handlers import registry
from handlers.middleware import members_only
from handlers.pairing.followup import on_met
from handlers.pairing.home import BUTTON_WORDS, on_home_button, pairing_home_section
from handlers.pairing.words import USAGE, on_pairing_command


def register(app: App) -> None:
    registry.subcommand(
        app, Command.COP, "pairing", on_pairing_command, access=registry.MEMBER, usage=USAGE
    )
    for action in BUTTON_WORDS:
        app.action(action, middleware=[members_only])(on_home_button)
    app.action(PairingIds.MET_YES, middleware=[members_only])(on_met)
    app.action(PairingIds.MET_NO, middleware=[members_only])(on_met)
    app_home.add_section(40, "pairing", pairing_home_section)
