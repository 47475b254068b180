"""Records what each capability registers, so the manifest can be checked against it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.listener import Listener as BoltListener
from slack_bolt.listener_matcher import ListenerMatcher
from slack_bolt.listener_matcher.builtins import BuiltinListenerMatcher
from slack_bolt.middleware import Middleware
from slack_bolt.request import payload_utils

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


# -- matching a request to its listener --------------------------------------------------------


class _BodyMatcher(ListenerMatcher):
    """Bolt's own test of whether a listener is for a request (the command's name, the action's
    id, the view's callback id, the event's type), asked with the request's body directly.

    Bolt tries the listeners one by one, and before each test it builds every argument any
    listener could ask for (the action, the view, the event…: a dozen parses of the payload),
    although these tests only ask for `body`. With some eighty listeners that was a third of
    the CPU an ack took. The test itself and the order of the listeners are Bolt's, unchanged.
    """

    def __init__(self, matcher: BuiltinListenerMatcher) -> None:
        self.func = matcher.func

    def matches(self, req: BoltRequest, resp: BoltResponse) -> bool:
        return bool(self.func(body=req.body))


# Each of Bolt's matcher factories tests one kind of request first (its test is `is_<kind>`
# and the rest of the test is `and …`): a listener whose first matcher comes from one of these can
# only ever answer a request of that kind.
_KIND_OF_FACTORY = {
    "command": "slash_command",
    "action": "action",
    "block_action": "action",
    "attachment_action": "action",
    "dialog_submission": "action",
    "dialog_cancellation": "action",
    "workflow_step_edit": "action",
    "view": "view",
    "view_submission": "view",
    "view_closed": "view",
    "event": "event",
    "message_event": "event",
    "shortcut": "shortcut",
    "global_shortcut": "shortcut",
    "message_shortcut": "shortcut",
    "options": "options",
    "block_suggestion": "options",
    "dialog_suggestion": "options",
}
_KIND_TESTS: dict[str, Callable[[dict[str, Any]], bool]] = {
    kind: getattr(payload_utils, f"is_{kind}") for kind in set(_KIND_OF_FACTORY.values())
}


def _listener_kind(listener: BoltListener) -> str | None:
    """The one kind of request the listener can answer, or None when that cannot be told."""
    first = listener.matchers[0] if listener.matchers else None
    func = getattr(first, "func", None)
    if func is None or getattr(func, "__module__", "") != BuiltinListenerMatcher.__module__:
        return None
    factory = getattr(func, "__qualname__", "").split(".<locals>.", 1)[0]
    return _KIND_OF_FACTORY.get(factory)


class _ListenersByKind(list[BoltListener]):
    """Bolt's list of listeners, in Bolt's order. Bolt tries every listener in turn for every
    request (over a hundred here, each test a handful of dictionary lookups); when Kettle's first
    middleware has said which kinds the request is (`for_request`), Bolt's next pass over the
    list is given only the listeners that can answer that kind of request, in the same order,
    and the one chosen is the one Bolt would have chosen. Any other pass sees every listener."""

    _request = threading.local()

    def __init__(self, listeners: Sequence[BoltListener]) -> None:
        super().__init__(listeners)
        self._kinds = [_listener_kind(listener) for listener in listeners]
        self._only: dict[str, list[BoltListener]] = {
            kind: [li for li, k in zip(listeners, self._kinds, strict=True) if k in (kind, None)]
            for kind in _KIND_TESTS
        }

    def for_request(self, body: dict[str, Any]) -> None:
        """The request this thread dispatches next: its kinds, for Bolt's next pass."""
        self._request.kinds = [kind for kind, test in _KIND_TESTS.items() if test(body)]

    def __iter__(self) -> Iterator[BoltListener]:
        kinds = getattr(self._request, "kinds", None)
        self._request.kinds = None
        if kinds is None or len(self) != len(self._kinds):
            return super().__iter__()
        if len(kinds) == 1:
            return iter(self._only[kinds[0]])
        wanted = {*kinds, None}
        return (li for li, k in zip(self, self._kinds, strict=True) if k in wanted)


def match_on_body(app: App) -> None:
    """Give every listener's body-only matchers to `_BodyMatcher`, and let each request be tried
    only against the listeners of its kind; call once all are registered."""
    for listener in app._listeners:
        listener.matchers = [
            _BodyMatcher(m)
            if type(m) is BuiltinListenerMatcher and list(m.arg_names) == ["body"]
            else m
            for m in listener.matchers
        ]
    by_kind = _ListenersByKind(app._listeners)
    app._listeners = by_kind
    # Run last of the global middleware, just before Bolt's pass over the listeners.
    app.use(_OnlyItsKind(by_kind))


class _OnlyItsKind(Middleware):
    """Tells `_ListenersByKind` the kinds of the request this thread dispatches next."""

    def __init__(self, by_kind: _ListenersByKind) -> None:
        self.by_kind = by_kind

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        self.by_kind.for_request(req.body)
        next()
        return None  # as Bolt's own middleware: the response is still the listener's to give
