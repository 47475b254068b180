"""Arguments matched once (bot/arguments.py): every middleware and listener Kettle registers
is called with exactly what Bolt's own `build_required_kwargs` would give it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.kwargs_injection import build_required_kwargs
from slack_bolt.listener import CustomListener
from slack_bolt.middleware import CustomMiddleware
from slack_sdk import WebClient

from bot.arguments import BoundListener, BoundMiddleware, _getters, bind_arguments_once
from tests.conftest import BOT_TOKEN, MEMBER, SIGNING_SECRET
from tests.fakeslack import FakeSlack, SlackSigner
from tests.unit.test_manifest import _app

NAMES = [
    "client",
    "req",
    "request",
    "resp",
    "response",
    "context",
    "body",
    "options",
    "shortcut",
    "action",
    "view",
    "command",
    "event",
    "message",
    "step",
    "ack",
    "say",
    "respond",
    "viewer",  # put in the context by a middleware
    "nothing_there",  # named, but nothing gives it: None, as from Bolt
]


def _requests() -> list[Any]:
    signer = SlackSigner(SIGNING_SECRET)
    signed = [
        signer.slash_command("/story", "hello", MEMBER, channel_id="C0COP", trigger_id="T1"),
        signer.block_actions(MEMBER, [{"action_id": "a", "value": "1"}], channel_id="C0COP"),
        signer.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"}),
    ]
    requests = []
    for s in signed:
        request = s.as_bolt_request()
        request.context["viewer"] = "someone"
        requests.append(request)
    return requests


def test_every_name_is_given_what_bolt_gives() -> None:
    logger = logging.getLogger("test")
    response = BoltResponse(status=200, body="")
    for name in NAMES:
        exec(f"def one({name}): ...", namespace := {})
        getters = _getters(namespace["one"], logger)
        assert getters is not None and [n for n, _ in getters] == [name]
        for request in _requests():
            ours = {n: get(request, response) for n, get in getters}
            bolts = build_required_kwargs(
                logger=logger,
                required_arg_names=[name],
                request=request,
                response=response,
                this_func=namespace["one"],
            )
            assert ours == bolts, name


def test_a_function_naming_bolts_own_arguments_keeps_bolts_call() -> None:
    def uses_args(args: Any) -> None: ...

    def handles(error: Exception, body: dict[str, Any]) -> None: ...

    def completes(complete: Any, body: dict[str, Any]) -> None: ...

    assert _getters(uses_args, logging.getLogger()) is None
    assert _getters(handles, logging.getLogger()) is None
    assert _getters(completes, logging.getLogger()) is None


def test_the_built_app_calls_every_function_without_bolts_per_call_matching() -> None:
    app = _app()
    assert not [m for m in app._middleware_list if type(m) is CustomMiddleware]
    assert app._listeners and not [li for li in app._listeners if type(li) is CustomListener]
    assert all(isinstance(li, BoundListener) for li in app._listeners)
    for listener in app._listeners:
        assert not [m for m in listener.middleware if type(m) is CustomMiddleware]


def test_next_and_a_refusal_reach_bolt_as_before(fake: FakeSlack) -> None:
    """A middleware that calls next() lets the request on; one that returns a response without
    next() answers with it; the listener then runs with the arguments it names."""
    app = App(
        signing_secret=SIGNING_SECRET,
        client=WebClient(token=BOT_TOKEN, base_url=fake.api_url),
        token_verification_enabled=False,
    )
    seen: list[str] = []

    def passes(context: BoltContext, next: Any) -> None:
        context["passed"] = "yes"
        next()

    def refuses(body: dict[str, Any], next: Any) -> BoltResponse | None:
        if body.get("text") == "no":
            return BoltResponse(status=200, body="refused")
        return next()  # type: ignore[no-any-return]

    app.use(passes)
    app.use(refuses)

    @app.command("/story")
    def story(ack: Any, command: dict[str, Any], passed: str) -> None:
        seen.append(f"{command['text']}:{passed}")
        ack(text="ok")

    bind_arguments_once(app)
    assert sum(isinstance(m, BoundMiddleware) for m in app._middleware_list) == 2
    signer = SlackSigner(SIGNING_SECRET)
    yes = app.dispatch(signer.slash_command("/story", "hi", MEMBER).as_bolt_request())
    no = app.dispatch(signer.slash_command("/story", "no", MEMBER).as_bolt_request())
    assert (yes.status, yes.body) == (200, "ok")
    assert (no.status, no.body) == (200, "refused")
    assert seen == ["hi:yes"]
