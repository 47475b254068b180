"""The convenors' App Home shows the doctor's last lines and what waits in the outbox, from the
last check (never asking Slack as the Home opens); members see none of it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot import doctor
from bot.builders.ids import KnowledgeIds
from bot.models import Consent
from tests.conftest import CONVENOR, MEMBER, MOVEMENT
from tests.fakeslack import FakeSlack
from tests.harness import Kettle
from tests.scenario.test_knowledge import add_story, button, dm_click


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    doctor.CACHE.report = None
    yield
    doctor.CACHE.report = None


def home_text(kettle: Kettle, user: str) -> str:
    kettle.event({"type": "app_home_opened", "user": user, "tab": "home"})
    home = kettle.fake.home(user)
    assert home is not None
    return json.dumps(home["blocks"])


def test_the_convenors_home_shows_the_checks_and_what_waits(
    kettle: Kettle, fake: FakeSlack, engine: Engine, fresh_cache: None
) -> None:
    fake.set_members(MOVEMENT, [CONVENOR, MEMBER])  # Kettle never invited there
    # Before any check (and with nothing waiting) there is no section at all.
    assert "Kettle's set-up" not in home_text(kettle, CONVENOR)

    doctor.CACHE.store(
        doctor.run_checks(kettle.settings, client=kettle.client, engine=engine, lease=False)
    )
    fake.reset_calls()
    shown = home_text(kettle, CONVENOR)
    assert "Kettle found 1 thing(s) to fix" in shown
    assert "Kettle is not in the movement's channel #movement (C0MOVE)" in shown
    assert "/invite @Kettle" in shown
    # Opening the Home asked Slack nothing about the set-up.
    assert fake.calls_to("auth.test") == [] and fake.calls_to("conversations.info") == []
    # A member sees none of it.
    assert "Kettle's set-up" not in home_text(kettle, MEMBER)

    # A story approved meanwhile waits, and the convenors' Home says so.
    story_id = add_story(kettle, consent=Consent.MOVEMENT_NAMED)
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    preview = fake.dm_messages(MEMBER)[-1]
    dm_click(
        kettle,
        MEMBER,
        KnowledgeIds.APPROVE,
        button(preview, KnowledgeIds.APPROVE)["value"],
        preview,
    )
    shown = home_text(kettle, CONVENOR)
    assert "1 message(s) wait in Kettle's outbox" in shown and "not_in_channel" in shown
    assert "wait in Kettle's outbox" not in home_text(kettle, MEMBER)

    # Mended and checked again: all is well, nothing waits.
    fake.set_members(MOVEMENT, [CONVENOR, MEMBER, "UBOT"])
    kettle.event({"type": "member_joined_channel", "user": "UBOT", "channel": MOVEMENT})
    doctor.CACHE.store(
        doctor.run_checks(kettle.settings, client=kettle.client, engine=engine, lease=False)
    )
    shown = home_text(kettle, CONVENOR)
    assert "Everything Kettle needs is in place" in shown
    assert "wait in Kettle's outbox" not in shown
