"""Kettle parses Slack's request bodies exactly as Bolt does (bot/payloads.py)."""

from __future__ import annotations

import json
from urllib.parse import quote, unquote_plus, urlencode

import pytest
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import parse_body

from bot.builders.stories import story_modal
from bot.payloads import KettleRequest, parse_request_body, unquote_form_value
from tests.conftest import COP, MEMBER, SIGNING_SECRET
from tests.fakeslack import SlackSigner
from tests.scenario.test_stories import story_values

FORM = "application/x-www-form-urlencoded"

TEXTS = [
    "How we doubled our volunteers",
    'Quotes " and \\ backslashes \\n, a tab\t and a newline\n',
    "Café, naïve, 日本語, emoji 🫖☕ and a zero-width\u2060joiner",
    "1 + 1 = 2 & 50% of <!channel> @here",
    "",
]


def signed_bodies() -> list[str]:
    signer = SlackSigner(SIGNING_SECRET)
    view = {**story_modal(community_id=1, channel_id=COP), "id": "V1", "hash": "h"}
    bodies = []
    for text in TEXTS:
        values = story_values(title=text or "t", body=text, themes=text)
        bodies.append(signer.view_submission(MEMBER, view, values).body)
        bodies.append(signer.slash_command("/story", text, MEMBER, channel_id=COP).body)
    return bodies


@pytest.mark.parametrize("body", signed_bodies())
def test_signed_bodies_parse_as_bolt_parses_them(body: str) -> None:
    assert parse_request_body(body, FORM) == parse_body(body, FORM)


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "block_actions", "text": text, "raw": json.dumps(text, ensure_ascii=False)}
        for text in TEXTS
    ],
)
def test_raw_utf8_payloads_as_slack_sends_them(payload: dict) -> None:
    # Slack's JSON carries non-ASCII as UTF-8, percent-encoded, not as \u escapes.
    body = "payload=" + quote(json.dumps(payload, ensure_ascii=False), safe="")
    assert parse_request_body(body, FORM) == parse_body(body, FORM) == payload


@pytest.mark.parametrize(
    "value",
    [
        "%",  # an escape cut short
        "abc%4",
        "%zz%41",  # not hex: kept as it came
        "%C3%28",  # not UTF-8: replaced as the standard library replaces it
        "%FF%FE",
        "a\\x41b",  # a literal backslash (Slack always encodes it): never read as an escape
        "caf\u00e9%20ok",  # not ASCII at all
        "plus+and%2Bplus",
        "%e2%98%95 lower-case hex",
        "",
    ],
)
def test_values_Slack_would_never_send_still_decode_as_the_standard_library_does(
    value: str,
) -> None:
    assert unquote_form_value(value) == unquote_plus(value)


@pytest.mark.parametrize(
    "body, content_type",
    [
        ('{"type": "event_callback", "event": {"type": "app_home_opened"}}', "application/json"),
        ('{"type": "url_verification", "challenge": "c"}', FORM),
        (urlencode({"command": "/story", "text": "my payload"}), FORM),  # "payload" in a command
        ("payload=" + quote('{"a": 1}') + "&other=2", FORM),
        ("payload=" + quote('["not", "an", "object"]'), FORM),
        ("", FORM),
    ],
)
def test_other_bodies_are_left_to_bolt(body: str, content_type: str) -> None:
    assert parse_request_body(body, content_type) == parse_body(body, content_type)


def test_a_kettle_request_is_the_bolt_request_for_the_same_signed_body() -> None:
    signer = SlackSigner(SIGNING_SECRET)
    view = {**story_modal(community_id=1, channel_id=COP), "id": "V1", "hash": "h"}
    signed = signer.view_submission(MEMBER, view, story_values(title="Tea ☕ & talk"))
    ours = KettleRequest(body=signed.body, headers=dict(signed.headers))
    bolts = BoltRequest(body=signed.body, headers=dict(signed.headers))
    assert ours.raw_body == bolts.raw_body == signed.body  # what the signature is checked over
    assert ours.body == bolts.body
    assert dict(ours.context) == dict(bolts.context)
    assert ours.context.user_id == MEMBER


def test_an_empty_payload_is_refused_as_bolt_refuses_it() -> None:
    for parse in (parse_request_body, parse_body):
        with pytest.raises(ValueError):
            parse("payload=", FORM)
