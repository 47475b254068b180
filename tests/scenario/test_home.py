"""The App Home brings every capability together, within Slack's limits, for each kind of person."""

from __future__ import annotations

import json

from tests.conftest import CONVENOR, MEMBER, OUTSIDER
from tests.fakeslack import validate_view
from tests.harness import Kettle


def open_home(kettle: Kettle, user: str) -> dict:
    kettle.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0"})
    home = kettle.fake.home(user)
    assert home is not None
    assert validate_view(home) == []
    return home


def test_member_home_has_every_members_section(kettle: Kettle) -> None:
    home = open_home(kettle, MEMBER)
    text = json.dumps(home)
    assert len(home["blocks"]) <= 100
    for expected in ("Share a story", "Story library", "check-in", "Meetings", "pairing"):
        assert expected.lower() in text.lower(), expected


def test_convenor_home_within_limits(kettle: Kettle) -> None:
    home = open_home(kettle, CONVENOR)
    assert len(home["blocks"]) <= 100
    assert "settings" in json.dumps(home).lower()


def test_outsider_home_offers_to_apply_and_nothing_else(kettle: Kettle) -> None:
    home = open_home(kettle, OUTSIDER)
    text = json.dumps(home).lower()
    assert "apply" in text
    assert "share a story" not in text and "check in" not in text
