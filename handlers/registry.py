"""Records what each capability registers, so the manifest can be checked against it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App

Listener = Callable[..., Any]


class Registered:
    """Per-app record of the slash commands and event types that have listeners."""

    def __init__(self) -> None:
        self.commands: set[str] = set()
        self.events: set[str] = set()


def registered(app: App) -> Registered:
    record = getattr(app, "_kettle_registered", None)
    if record is None:
        record = Registered()
        app._kettle_registered = record  # type: ignore[attr-defined]
    return record


def command(
    app: App, name: str, listener: Listener, *, middleware: Sequence[Listener] = ()
) -> None:
    registered(app).commands.add(name)
    app.command(name, middleware=list(middleware))(listener)


def event(
    app: App,
    name: str,
    listener: Listener,
    *,
    middleware: Sequence[Listener] = (),
    matchers: Sequence[Listener] = (),
) -> None:
    registered(app).events.add(name)
    app.event(name, middleware=list(middleware), matchers=list(matchers))(listener)


# -- slash commands with subcommands ("/cop join", "/round ai …") -------------------------------

ANYONE = "anyone"
MEMBER = "member"
CONVENOR = "convenor"


class Subcommand:
    def __init__(self, word: str, listener: Listener, access: str, usage: str) -> None:
        self.word = word
        self.listener = listener
        self.access = access
        self.usage = usage


def _subcommands(app: App) -> dict[str, dict[str, Subcommand]]:
    table = getattr(app, "_kettle_subcommands", None)
    if table is None:
        table = {}
        app._kettle_subcommands = table  # type: ignore[attr-defined]
    return table


def subcommand(
    app: App,
    command_name: str,
    word: str,
    listener: Listener,
    *,
    access: str = MEMBER,
    usage: str = "",
) -> None:
    """Register `/command word …`. The listener is called as
    `listener(ack=, body=, client=, context=, args=)` where `args` is the text after the word.
    `word=""` is the default when the text is empty or unknown words are given to a command whose
    default exists. Access is checked before the listener runs: "anyone", "member" or "convenor".
    """
    table = _subcommands(app)
    if command_name not in table:
        table[command_name] = {}
        command(app, command_name, _dispatcher(app, command_name))
    table[command_name][word.lower()] = Subcommand(word.lower(), listener, access, usage)


def usage_text(app: App, command_name: str, viewer: Any) -> str:
    lines = []
    for sub in sorted(_subcommands(app).get(command_name, {}).values(), key=lambda s: s.word):
        if sub.access == CONVENOR and not (viewer is not None and viewer.is_convenor):
            continue
        if sub.access == MEMBER and not (viewer is not None and viewer.is_member):
            continue
        head = f"`{command_name} {sub.word}`" if sub.word else f"`{command_name}`"
        lines.append(f"• {head} {sub.usage}".rstrip())
    return "Here's what you can do:\n" + "\n".join(lines) if lines else ""


def _dispatcher(app: App, command_name: str) -> Listener:
    from handlers.middleware import convenors_only, members_only

    def dispatch(ack: Any, body: dict[str, Any], client: Any, context: Any) -> Any:
        text = (body.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        table = _subcommands(app)[command_name]
        sub = table.get(word.lower())
        args = rest.strip()
        if sub is None:
            if word.lower() not in ("", "help") and "" in table:
                sub, args = table[""], text
            elif word.lower() == "" and "" in table:
                sub, args = table[""], ""
        if sub is None:
            ack(
                response_type="ephemeral",
                text=usage_text(app, command_name, _listed_for(context))
                or "Kettle looks after our Community of Practice.",
            )
            return None
        gate = {MEMBER: members_only, CONVENOR: convenors_only}.get(sub.access)
        if gate is not None:
            allowed: list[bool] = []
            refused = gate(
                body=body, client=client, context=context, next=lambda: allowed.append(True)
            )
            if not allowed:
                ack(**_ack_kwargs(refused))
                return None
        return sub.listener(ack=ack, body=body, client=client, context=context, args=args)

    dispatch.__name__ = f"dispatch_{command_name.strip('/')}"
    return dispatch


def _listed_for(context: Any) -> Any:
    """Whose words help lists: someone in several CoPs, asking outside their channels, is
    shown the members' words (each then asks which CoP)."""
    from dataclasses import replace

    from bot.db import unit_of_work
    from bot.models import Role
    from bot.services import membership

    viewer = context.get("viewer")
    if not getattr(viewer, "undecided", False) or context.get("db") is None:
        return viewer
    with unit_of_work(context["db"]) as session:
        mine = membership.communities_of(session, viewer.user_id)
        roles = [membership.get_member(session, c.id, viewer.user_id) for c in mine]
    if not mine:
        return viewer
    convenes = any(m is not None and m.is_convenor for m in roles)
    return replace(viewer, member_id=-1, role=Role.CONVENOR if convenes else Role.MEMBER)


def _ack_kwargs(response: Any) -> dict[str, Any]:
    import json

    try:
        payload = json.loads(response.body) if response is not None and response.body else {}
    except ValueError:
        payload = {}
    return {"response_type": "ephemeral", "text": payload.get("text", "")}
