"""Signatures, retries, Slack's 429s and 5xx, and the global error handler, as Slack would see them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.builders.ids import StoryIds
from bot.models import Story
from tests.conftest import MEMBER
from tests.harness import Kettle
from tests.scenario.test_stories import open_modal, story_values


@pytest.mark.parametrize("mode", ["signature", "stale", "body", "missing", "secret"])
def test_forged_or_stale_requests_get_401_and_change_nothing(kettle: Kettle, mode: str) -> None:
    view = open_modal(kettle)
    calls_before = len(kettle.fake.calls)
    genuine = kettle.signer.view_submission(MEMBER, view, story_values())
    reply = kettle.send(kettle.signer.forge(genuine, mode))
    assert reply.status == 401
    with kettle.db() as session:
        assert session.scalar(select(func.count()).select_from(Story)) == 0
    assert len(kettle.fake.calls) == calls_before


def test_forged_slash_command_opens_nothing(kettle: Kettle) -> None:
    request = kettle.signer.slash_command(
        "/story", "", MEMBER, trigger_id=kettle.fake.issue_trigger_id()
    )
    assert kettle.send(kettle.signer.forge(request, "signature")).status == 401
    assert kettle.fake.views_opened == []


def test_url_verification_answers_the_challenge(kettle: Kettle) -> None:
    reply = kettle.send(kettle.signer.url_verification("tea-and-biscuits"))
    assert reply.status == 200
    assert reply.json == {"challenge": "tea-and-biscuits"}


def test_a_retried_event_is_processed_once(kettle: Kettle) -> None:
    event = {"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D1"}
    first = kettle.event(event, event_id="Ev0TEA")
    retry = kettle.event(event, event_id="Ev0TEA", retry_num=1, retry_reason="http_timeout")
    assert first.status == 200 and retry.status == 200
    assert len(kettle.fake.calls_to("views.publish")) == 1


def test_rate_limited_views_open_is_retried_after_retry_after(kettle: Kettle) -> None:
    kettle.fake.fail_next("views.open", status=429, retry_after=1, times=1)
    open_modal(kettle)
    assert len(kettle.fake.calls_to("views.open")) == 2


def test_server_errors_on_posting_are_retried_and_nothing_doubles(kettle: Kettle) -> None:
    kettle.fake.fail_next("chat.postMessage", status=503, times=2)
    view = open_modal(kettle)
    kettle.submit(MEMBER, view, story_values(post=True))
    assert len(kettle.fake.messages("C0COP")) == 1


def test_dropped_connection_is_retried(kettle: Kettle) -> None:
    kettle.fake.drop_next("views.open", times=1)
    open_modal(kettle)


def test_unexpected_failure_is_answered_kindly_with_a_reference(
    kettle: Kettle, caplog: pytest.LogCaptureFixture
) -> None:
    kettle.fake.fail_next("views.open", status=500, times=10)
    reply = kettle.command(MEMBER, "/story", "")
    assert reply.status == 200
    said = [r.get("text", "") for r in kettle.fake.responses]
    assert any("reference" in text for text in said), said
    ref = next(text for text in said if "reference" in text).split("`")[1]
    assert any(ref in record.getMessage() for record in caplog.records)
    assert "Traceback" not in " ".join(said)


def test_expired_trigger_is_reported_not_swallowed(kettle: Kettle) -> None:
    """A trigger older than 3 s cannot open a modal; the member is told, with a reference."""
    trigger = kettle.fake.issue_trigger_id()
    clock = kettle.fake.clock
    kettle.fake.clock = lambda: clock() + 10  # the trigger is now 10 s old
    request = kettle.signer.slash_command(
        "/story", "", MEMBER, trigger_id=trigger, response_url=kettle.fake.new_response_url()
    )
    reply = kettle.send(request)
    assert reply.status == 200
    assert kettle.fake.views_opened == []
    assert any("reference" in r.get("text", "") for r in kettle.fake.responses)


def test_modal_field_ids_are_constants() -> None:
    assert StoryIds.TITLE.value == "story_title"
