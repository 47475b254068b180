"""Kettle asks Bolt's own listener tests with the request's body directly (handlers/registry.py
`match_on_body`): for every request each listener answers as Bolt's matcher would, and the
listener chosen is the same."""

from __future__ import annotations

from enum import StrEnum

from slack_bolt import BoltResponse
from slack_bolt.listener_matcher.builtins import BuiltinListenerMatcher
from slack_bolt.request import BoltRequest

from bot.builders import ids
from bot.builders.stories import story_modal
from handlers.registry import _BodyMatcher, _listener_kind, _ListenersByKind
from tests.conftest import MEMBER, SIGNING_SECRET
from tests.fakeslack import SlackSigner
from tests.scenario.test_stories import story_values
from tests.unit.test_manifest import _app


def _every_id() -> list[str]:
    found = []
    for value in vars(ids).values():
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum:
            found += [member.value for member in value]
    return found


def _requests() -> list[BoltRequest]:
    signer = SlackSigner(SIGNING_SECRET)
    every_id = _every_id()
    signed = [signer.slash_command(c.value, "help", MEMBER) for c in ids.Command]
    signed += [signer.slash_command("/story", "search volunteers", MEMBER)]
    signed += [
        signer.block_actions(MEMBER, [{"action_id": i, "value": "1"}], channel_id="C0COP")
        for i in every_id
    ]
    view = {**story_modal(community_id=1), "id": "V1", "hash": "h", "team_id": "T0001"}
    signed += [
        signer.view_submission(MEMBER, {**view, "callback_id": i}, story_values()) for i in every_id
    ]
    signed += [signer.view_closed(MEMBER, {**view, "callback_id": i}) for i in every_id]
    signed += [
        signer.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"}),
        signer.event(
            {"type": "message", "user": MEMBER, "channel": "D1", "channel_type": "im", "text": "hi"}
        ),
        signer.event({"type": "member_joined_channel", "user": MEMBER, "channel": "C0COP"}),
        signer.event({"type": "file_shared", "user_id": MEMBER, "file_id": "F1"}),
    ]
    return [s.as_bolt_request() for s in signed]


def test_every_listener_is_asked_with_the_body_and_answers_as_bolt_would() -> None:
    app = _app()
    listeners = app._listeners
    assert listeners
    for listener in listeners:
        assert any(isinstance(m, _BodyMatcher) for m in listener.matchers)
    chosen = 0
    for request in _requests():
        response = BoltResponse(status=200)
        ours = bolts = None
        for index, listener in enumerate(listeners):
            for matcher in listener.matchers:
                if isinstance(matcher, _BodyMatcher):
                    bolt = BuiltinListenerMatcher(func=matcher.func)
                    assert matcher.matches(request, response) == bool(
                        bolt.matches(request, response)
                    )
            if ours is None and listener.matches(req=request, resp=response):
                ours = index
            if bolts is None and all(
                BuiltinListenerMatcher(func=m.func).matches(request, response)
                if isinstance(m, _BodyMatcher)
                else m.matches(request, response)
                for m in listener.matchers
            ):
                bolts = index
        assert ours == bolts
        chosen += ours is not None
    assert chosen > len(ids.Command)  # the requests reach listeners, not only each other


def test_a_request_tried_only_against_its_kind_reaches_the_listener_every_one_would() -> None:
    app = _app()
    listeners = app._listeners
    assert isinstance(listeners, _ListenersByKind)
    everyone = list(list.__iter__(listeners))
    kinds = [_listener_kind(listener) for listener in everyone]
    assert None not in kinds  # every listener's kind is known: none is tried for every request
    response = BoltResponse(status=200)
    tried_fewer = 0
    for request in _requests():
        listeners.for_request(request.body)
        of_its_kind = list(listeners)  # the pass Bolt makes next
        assert list(listeners) == everyone  # any later pass sees them all
        first = next((li for li in everyone if li.matches(req=request, resp=response)), None)
        first_of_kind = next(
            (li for li in of_its_kind if li.matches(req=request, resp=response)), None
        )
        assert first_of_kind is first
        assert [li for li in everyone if li in of_its_kind] == of_its_kind  # Bolt's order
        tried_fewer += len(of_its_kind) < len(everyone)
        if "command" in request.body:
            assert len(of_its_kind) == kinds.count("slash_command")
    assert tried_fewer == len(_requests())
