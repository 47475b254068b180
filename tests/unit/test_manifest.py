"""The manifest asks for exactly what the registered listeners use."""

from __future__ import annotations

from bot.app import create_app
from bot.manifest import BOT_EVENTS, BOT_SCOPES, COMMANDS, build_manifest
from bot.slack import make_client
from handlers.registry import registered
from tests.conftest import make_settings


class _NoFake:
    api_url = "http://127.0.0.1:9/api/"


def _app():
    settings = make_settings(_NoFake())  # type: ignore[arg-type]
    client = make_client(settings.bot_token, settings.api_url)
    return create_app(settings, client=client, session_factory=lambda: None)  # type: ignore[arg-type,return-value]


def _manifest_event_types() -> set[str]:
    # Slack subscribes to message events per conversation type ("message.im", ...).
    return {e.split(".")[0] for e in BOT_EVENTS}


def test_manifest_commands_match_registered_listeners() -> None:
    record = registered(_app())
    assert {c.command for c in COMMANDS} == record.commands


def test_manifest_events_match_registered_listeners() -> None:
    record = registered(_app())
    assert _manifest_event_types() == record.events


def test_manifest_shape() -> None:
    manifest = build_manifest("https://kettle.example.org/")
    settings = manifest["settings"]
    url = "https://kettle.example.org/slack/events"
    assert settings["event_subscriptions"]["request_url"] == url
    assert settings["interactivity"]["request_url"] == url
    assert all(c["url"] == url for c in manifest["features"]["slash_commands"])
    assert manifest["oauth_config"]["scopes"]["bot"] == sorted(BOT_SCOPES)
    assert "commands" in BOT_SCOPES and "chat:write" in BOT_SCOPES
    socket = build_manifest("https://x", socket_mode=True)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in socket["settings"]["event_subscriptions"]


def test_every_scope_has_a_reason() -> None:
    assert all(reason.strip() for reason in BOT_SCOPES.values())


def test_oauth_manifest_names_the_redirect_url_and_rotates_tokens() -> None:
    manifest = build_manifest("https://kettle.example.org/", oauth=True)
    assert manifest["oauth_config"]["redirect_urls"] == [
        "https://kettle.example.org/slack/oauth_redirect"
    ]
    assert manifest["settings"]["token_rotation_enabled"] is True
    assert {"app_uninstalled", "tokens_revoked"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )
    single = build_manifest("https://kettle.example.org/")
    assert "redirect_urls" not in single["oauth_config"]
    assert single["settings"]["token_rotation_enabled"] is False
