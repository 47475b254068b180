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
