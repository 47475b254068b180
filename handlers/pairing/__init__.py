"""/cop pairing on|off|pause|resume|skip|avoid|unavoid|status|stats, App Home buttons, and the
'did you meet?' answers."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import prompts
from bot.builders import pairing as builders
from bot.builders.ids import Command, PairingIds
from bot.db import unit_of_work
from bot.errors import InvalidInput, NotAConvenor
from bot.models import Member, MemberStatus, utcnow
from bot.services import membership, pairing
from bot.services.membership import Viewer
from bot.text import escape
from handlers import home, registry
from handlers.middleware import members_only, tell, viewer_of

USAGE = "on | off | pause | resume | skip | avoid @someone | unavoid @someone | status"
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def _me(session: Session, viewer: Viewer) -> Member:
    member = membership.viewer_member(session, viewer)
    if member is None:
        raise InvalidInput("You're no longer a member.")
    return member


def find_member(session: Session, community_id: int, text: str) -> Member:
    """`<@U123>` or `@name` (slash command text is not escaped, so names arrive as typed)."""
    text = text.strip()
    match = _MENTION.match(text)
    query = select(Member).where(
        Member.community_id == community_id, Member.status == MemberStatus.ACTIVE
    )
    if match:
        found = session.scalar(query.where(Member.user_id == match.group(1)))
    else:
        name = text.lstrip("@").strip().lower()
        candidates = (
            list(session.scalars(query.where(func.lower(Member.name) == name))) if name else []
        )
        found = candidates[0] if len(candidates) == 1 else None
    if found is None:
        raise InvalidInput(f"I couldn't find a member called {escape(text) or 'that'}.")
    return found


def _settings_extra(context: BoltContext) -> dict[str, str]:
    return dict(context["settings"].extra)


def change(context: BoltContext, word: str, args: str = "") -> str:
    """Apply one pairing choice for the person behind the request; returns the reply."""
    viewer = viewer_of(context)
    replies = prompts.load("pairing")["replies"]
    config = pairing.config_from(_settings_extra(context))
    with unit_of_work(context["db"]) as session:
        me = _me(session, viewer)
        if word == "on":
            pairing.set_opted_in(session, me, True)
        elif word == "off":
            pairing.set_opted_in(session, me, False)
        elif word == "pause":
            pairing.set_paused(session, me, True)
        elif word == "resume":
            pairing.set_paused(session, me, False)
        elif word == "skip":
            pairing.skip_next(session, me, now=utcnow(), config=config)
        elif word in ("avoid", "unavoid"):
            other = find_member(session, me.community_id, args)
            (pairing.avoid if word == "avoid" else pairing.unavoid)(session, me, other)
            return str(replies[word].format(name=escape(other.name)))
        elif word == "stats":
            if not viewer.is_convenor:
                raise NotAConvenor()
            return builders.stats_text(pairing.stats(session, me.community_id))
        else:
            return _status(session, me, config)
        return str(replies[word])


def _status(session: Session, me: Member, config: pairing.PairingConfig) -> str:
    pref = pairing.existing_preference(session, me)  # asking writes nothing: no row is no choice
    upcoming = pairing.next_round_number(session, me.community_id, utcnow(), config)
    return builders.status_text(
        opted_in=bool(pref and pref.opted_in),
        paused=bool(pref and pref.paused),
        skipping=bool(pref and pref.skip_round == upcoming),
        avoided=[m.name for m in pairing.avoided_by(session, me)],
        period_days=config.period_days,
    )


def on_pairing_command(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    word, _, rest = args.partition(" ")
    word = word.lower() or "status"
    if word not in ("on", "off", "pause", "resume", "skip", "avoid", "unavoid", "status", "stats"):
        ack(response_type="ephemeral", text=f"`/cop pairing {USAGE}`")
        return
    try:
        reply = change(context, word, rest)
    except (InvalidInput, NotAConvenor) as exc:
        ack(response_type="ephemeral", text=exc.user_message)
        return
    ack(response_type="ephemeral", text=reply)
    home.publish_home(client, context["db"], viewer_of(context).user_id)


_BUTTON_WORDS = {
    PairingIds.OPT_IN: "on",
    PairingIds.OPT_OUT: "off",
    PairingIds.SKIP: "skip",
    PairingIds.RESUME: "resume",
}


def on_home_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    word = _BUTTON_WORDS[PairingIds(body["actions"][0]["action_id"])]
    change(context, word)
    home.publish_home(client, context["db"], viewer_of(context).user_id)


def on_met(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    action = body["actions"][0]
    met = action["action_id"] == PairingIds.MET_YES
    group_id = int(action.get("value") or 0)
    with unit_of_work(context["db"]) as session:
        pairing.record_met(session, group_id, _me(session, viewer), met)
    channel = (body.get("channel") or {}).get("id")
    ts = (body.get("message") or {}).get("ts")
    if channel and ts:
        client.chat_update(
            channel=channel, ts=ts, text="Thank you", blocks=builders.answered_blocks(met)
        )
    else:
        tell(body, client, context, "Thank you.")


def pairing_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    me = membership.viewer_member(session, viewer)
    if me is None:
        return []
    from bot import runtime

    try:
        extra = dict(runtime.current().settings.extra)
    except RuntimeError:
        extra = {}
    config = pairing.config_from(extra)
    pref = pairing.existing_preference(session, me)  # building a view writes nothing
    upcoming = pairing.next_round_number(session, me.community_id, utcnow(), config)
    return builders.home_section(
        opted_in=bool(pref and pref.opted_in),
        paused=bool(pref and pref.paused),
        skipping=bool(pref and pref.skip_round == upcoming),
        avoided=[m.name for m in pairing.avoided_by(session, me)],
        period_days=config.period_days,
        stats=pairing.stats(session, me.community_id) if viewer.is_convenor else None,
    )


def register(app: App) -> None:
    registry.subcommand(
        app, Command.COP, "pairing", on_pairing_command, access=registry.MEMBER, usage=USAGE
    )
    for action in _BUTTON_WORDS:
        app.action(action, middleware=[members_only])(on_home_button)
    app.action(PairingIds.MET_YES, middleware=[members_only])(on_met)
    app.action(PairingIds.MET_NO, middleware=[members_only])(on_met)
    home.add_section(40, "pairing", pairing_home_section)
