"""Kettle's own set-up: work that waited for Kettle to be invited goes out when it is, and the
convenors' App Home shows the doctor's last lines (bot/doctor.py) and what waits in the outbox."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from sqlalchemy.orm import Session

from bot import doctor, waiting
from bot.builders.doctor import set_up_section
from bot.services import membership
from bot.services.membership import Viewer
from handlers import registry
from handlers.home import add_section


def is_kettle_itself(event: dict[str, Any], context: BoltContext) -> bool:
    return bool(context.bot_user_id) and event.get("user") == context.bot_user_id


def on_kettle_joined(event: dict[str, Any], context: BoltContext) -> None:
    """Kettle was invited to a channel: what waited to be posted there goes out now, once."""
    waiting.release(context["sender"], channel=str(event.get("channel") or ""))


def set_up_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    """Convenors only; reads the last check and the ledger, never calls Slack."""
    if not viewer.is_convenor:
        return []
    report = doctor.CACHE.report
    community = membership.community_by_id(session, viewer.community_id or 0)
    channels = (
        [c for c in (community.channel_id, community.movement_channel_id) if c] if community else []
    )
    pending = waiting.waiting_summary(session, channels=channels)
    if report is None and pending is None:
        return []
    lines = None
    if report is not None:
        lines = [f.line for f in report.problems if f.community_id in (None, viewer.community_id)]
    return set_up_section(lines, report.checked_at if report else None, pending)


def register(app: App) -> None:
    # Before membership's listener for the same event: Bolt runs the first that matches.
    registry.event(app, "member_joined_channel", on_kettle_joined, matchers=[is_kettle_itself])
    add_section(90, "doctor", set_up_home_section)
