"""The Slack app manifest: every command, scope and event Kettle uses, and nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SlashCommand:
    command: str
    description: str
    usage_hint: str = ""


COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand(
        "/story",
        "Share a story with the Community of Practice, or search the library",
        "[a few words to start] | search <words or #theme>",
    ),
    SlashCommand(
        "/round",
        "Appreciative-inquiry rounds and action-learning sets",
        "ai <topic> | als | set | sets | guide ai|als | list",
    ),
    SlashCommand("/meeting", "Plan or list the CoP's meetings", "[list | edit N | cancel N]"),
    SlashCommand(
        "/cop",
        "Join, leave and look after the Community of Practice",
        "setup | join | members | profile | pairing | callout | health | help",
    ),
    SlashCommand("/checkin", "Your weekly check-in (convenors: /checkin settings)", "[settings]"),
)

BOT_EVENTS: tuple[str, ...] = (
    "app_home_opened",
    "app_uninstalled",
    "member_joined_channel",
    "member_left_channel",
    "message.channels",
    "message.groups",
    "message.im",
    "message.mpim",
    "tokens_revoked",
)

# Why each scope is needed, so the list stays least-privilege.
BOT_SCOPES: dict[str, str] = {
    "commands": "slash commands",
    "chat:write": "post stories, confirmations and nudges",
    "im:write": "open a direct message with a member",
    "im:history": "check a DM before resending, so nothing is sent twice",
    "groups:read": "know who is in the CoP's private channel",
    "groups:history": "check the CoP channel before resending, so nothing is posted twice",
    "channels:read": "know who is in a public CoP channel",
    "channels:join": "join the movement's public channel when a convenor asks (/cop setup)",
    "channels:history": "check a public channel before resending",
    "users:read": "members' names and time zones",
    "mpim:write": "open a group DM to introduce a pair (or trio) of members, or pair them for appreciative interviews",
    "mpim:history": "check a group DM before resending, so nothing is posted twice, and hear questions asked in a standing set's group DM (coaching)",
    "groups:write": "invite approved members to the private CoP channel, and remove members",
    "channels:manage": "invite approved members to a public CoP channel, and remove members",
    "files:write": "send files people ask for: their data, a meeting's .ics, blog drafts, the health chart",
    "files:read": "keep the voice clips, videos and files members DM Kettle as stories",
}


def oauth_redirect_url(base_url: str) -> str:
    """Where Slack sends an installer back (OAuth mode): add it under OAuth & Permissions."""
    return base_url.rstrip("/") + "/slack/oauth_redirect"


def build_manifest(
    base_url: str, *, name: str = "Kettle", socket_mode: bool = False, oauth: bool = False
) -> dict:
    """`oauth`: installed through Slack's OAuth flow in any number of workspaces, with its
    redirect URL and token rotation (tokens that expire every 12 hours; Kettle refreshes them)."""
    base = base_url.rstrip("/")
    events_url = f"{base}/slack/events"
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": list(BOT_EVENTS)},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": socket_mode,
        "token_rotation_enabled": oauth,
    }
    oauth_config: dict[str, Any] = {"scopes": {"bot": sorted(BOT_SCOPES)}}
    if oauth:
        oauth_config["redirect_urls"] = [oauth_redirect_url(base)]
    if not socket_mode:
        settings["event_subscriptions"]["request_url"] = events_url
        settings["interactivity"]["request_url"] = events_url
    commands = []
    for c in COMMANDS:
        entry: dict[str, Any] = {
            "command": c.command,
            "description": c.description,
            "should_escape": False,
        }
        if not socket_mode:
            entry["url"] = events_url
        if c.usage_hint:
            entry["usage_hint"] = c.usage_hint
        commands.append(entry)
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Looks after a Community of Practice: curation, space, stories and tea.",
            "background_color": "#6b4f3a",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": oauth_config,
        "settings": settings,
    }
