"""Asking for support puts a shared answer first in the summary: ticking the box that tells the
convenors, an earlier form's call box, or saying what would help."""

from __future__ import annotations

from bot.models import Checkin, CheckinStatus
from bot.services.checkins import asked_for_support


def checkin(**values: object) -> Checkin:
    base: dict[str, object] = {
        "status": CheckinStatus.ANSWERED,
        "wants_call": False,
        "tell_convenors": False,
        "support": "",
    }
    base.update(values)
    return Checkin(**base)


def test_support_text_counts_as_asking() -> None:
    assert asked_for_support(checkin(support="Someone to think through the funding bid with"))
    assert asked_for_support(checkin(wants_call=True))
    assert asked_for_support(checkin(tell_convenors=True))


def test_blank_support_and_skips_do_not() -> None:
    assert not asked_for_support(checkin(support="   "))
    assert not asked_for_support(checkin(status=CheckinStatus.SKIPPED, support="help"))


def test_the_greeting_is_the_section_slack_sdks_model_builds() -> None:
    """Each check-in DM's greeting is copied from a section rendered once; it is the block the
    model would build, at any length."""
    from bot.builders.checkins.dm import _greeting
    from bot.builders.common import section
    from bot.text import truncate

    for text in ("Hi Ana, how was your week?", "é &lt;@U1&gt; " * 400, "x" * 3001):
        assert _greeting(text) == section(truncate(text, 3000))
    assert _greeting("Hi")["text"]["text"] == "Hi"
