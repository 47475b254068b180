"""Arguments worked out once per function, not on every call.

Bolt hands a listener, or a middleware written as a function, the arguments it names (`ack`,
`body`, `client`, `context`, `next`, ...). It finds them on every call (`build_required_kwargs`):
it builds every argument it could give, each payload view of the body among them, and then
keeps the few the function names. Seven times per request in Kettle (five global middlewares,
a listener's middleware, the listener), that was a fifth of the CPU a request takes before its
ack. Here each function's names are matched once, when the app is built, to how Bolt finds each
argument; the function gets the same values as from Bolt. A function naming something Bolt
gives in another way (`args`, an error handler's `error`) keeps Bolt's own call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.listener import CustomListener
from slack_bolt.middleware import CustomMiddleware, Middleware
from slack_bolt.request import payload_utils
from slack_bolt.util.utils import get_arg_names_of_callable

Getter = Callable[[BoltRequest, "BoltResponse | None"], Any]

# How Bolt finds each argument (slack_bolt.kwargs_injection.utils.build_required_kwargs).
_GIVEN: dict[str, Getter] = {
    "client": lambda req, resp: req.context.client,
    "req": lambda req, resp: req,
    "request": lambda req, resp: req,
    "resp": lambda req, resp: resp,
    "response": lambda req, resp: resp,
    "context": lambda req, resp: req.context,
    "body": lambda req, resp: req.body,
    "options": lambda req, resp: payload_utils.to_options(req.body),
    "shortcut": lambda req, resp: payload_utils.to_shortcut(req.body),
    "action": lambda req, resp: payload_utils.to_action(req.body),
    "view": lambda req, resp: payload_utils.to_view(req.body),
    "command": lambda req, resp: payload_utils.to_command(req.body),
    "event": lambda req, resp: payload_utils.to_event(req.body),
    "message": lambda req, resp: payload_utils.to_message(req.body),
    "step": lambda req, resp: payload_utils.to_step(req.body),
    "ack": lambda req, resp: req.context.ack,
    "say": lambda req, resp: req.context.say,
    "respond": lambda req, resp: req.context.respond,
}
# Left to Bolt's own call: what it gives in a way of its own, and the utilities of its newer
# surfaces (functions, assistants) that Kettle does not use.
_BOLTS_OWN = {
    *("args", "error", "payload", "self", "cls"),
    *("complete", "fail", "set_status", "set_title", "set_suggested_prompts"),
    *("save_thread_context", "say_stream"),
}


def _getters(func: Callable[..., Any], logger: Any) -> list[tuple[str, Getter]] | None:
    """For each name `func` takes, how to find its value; None if Bolt must find them itself."""
    names = list(get_arg_names_of_callable(func))
    if any(name in _BOLTS_OWN for name in names):
        return None
    found: list[tuple[str, Getter]] = []
    for name in names:
        if name == "logger":
            found.append((name, _constant(logger)))
        elif name in ("next", "next_"):
            continue  # given per call
        elif name in _GIVEN:
            found.append((name, _GIVEN[name]))
        else:  # something a middleware put in the context (Bolt gives None if it is not there)
            found.append((name, _from_context(name)))
    return found


def _constant(value: Any) -> Getter:
    return lambda req, resp: value


def _from_context(name: str) -> Getter:
    return lambda req, resp: req.context.get(name)


class BoundMiddleware(Middleware):
    """A function middleware, called with the arguments it names, matched once."""

    def __init__(self, inner: CustomMiddleware, getters: list[tuple[str, Getter]]) -> None:
        self.inner = inner
        self.func = inner.func
        self._getters = getters
        self._next_names = [n for n in inner.arg_names if n in ("next", "next_")]

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        kwargs = {name: get(req, resp) for name, get in self._getters}
        for name in self._next_names:
            kwargs[name] = next
        return self.func(**kwargs)  # type: ignore[no-any-return]

    @property
    def name(self) -> str:
        return self.inner.name


class BoundListener(CustomListener):
    """Bolt's listener, calling its function with the arguments it names, matched once."""

    _getters: list[tuple[str, Getter]]

    @classmethod
    def from_listener(
        cls, listener: CustomListener, getters: list[tuple[str, Getter]]
    ) -> BoundListener:
        bound = cls.__new__(cls)
        bound.__dict__.update(listener.__dict__)
        bound._getters = getters
        return bound

    def run_ack_function(
        self, *, request: BoltRequest, response: BoltResponse
    ) -> BoltResponse | None:
        return self.ack_function(**{name: get(request, response) for name, get in self._getters})


def _bound_middleware(middleware: Sequence[Middleware]) -> list[Middleware]:
    bound: list[Middleware] = []
    for m in middleware:
        if type(m) is CustomMiddleware and (getters := _getters(m.func, m.logger)) is not None:
            bound.append(BoundMiddleware(m, getters))
        else:
            bound.append(m)
    return bound


def bind_arguments_once(app: App) -> None:
    """Match every function middleware's and listener's arguments once; call it last, when
    every middleware and listener is registered. The list of listeners keeps its own type
    (it may route requests, handlers/registry.py); its members are replaced in place."""
    app._middleware_list[:] = _bound_middleware(app._middleware_list)
    listeners = app._listeners
    for i, listener in enumerate(listeners):
        listener.middleware = _bound_middleware(listener.middleware)
        if type(listener) is CustomListener and not listener.lazy_functions:
            getters = _getters(listener.ack_function, listener.logger)
            if getters is not None:
                listeners[i] = BoundListener.from_listener(listener, getters)
