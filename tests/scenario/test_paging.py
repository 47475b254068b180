"""Long lists in pages: the applications waiting, from the convenor's App Home and `/cop review`,
a page at a time behind a "More applications" button that only a convenor may press."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.builders.ids import MembershipIds
from bot.builders.membership import SHOWN_CARDS
from bot.config import Settings
from bot.models import Application, ApplicationStatus, Community
from tests.conftest import CONVENOR, MEMBER, make_settings
from tests.fakeslack import FakeSlack
from tests.harness import Kettle


@pytest.fixture
def settings(fake: FakeSlack, db_url: str, tmp_path: Path) -> Settings:
    return make_settings(fake, database_url=db_url, files_dir=tmp_path / "files")


def applications(kettle: Kettle, n: int) -> None:
    with kettle.db() as session:
        community_id = session.scalars(select(Community.id)).one()
        for i in range(n):
            session.add(Application(community_id=community_id, user_id=f"UAPP{i:03}",
                                    name=f"Applicant {i:02}", answers={}, agreed_norms=True,
                                    status=ApplicationStatus.PENDING))  # fmt: skip


def names(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        b["text"]["text"].split("*")[1]
        for b in blocks
        if b.get("accessory", {}).get("action_id") == MembershipIds.REVIEW_BUTTON
    ]


def more(blocks: list[dict[str, Any]]) -> str | None:
    for b in blocks:
        if b.get("accessory", {}).get("action_id") == MembershipIds.APPLICATIONS_MORE:
            return str(b["accessory"]["value"])
    return None


def test_the_convenor_pages_through_every_application(kettle: Kettle) -> None:
    total = 2 * SHOWN_CARDS + 3
    applications(kettle, total)
    kettle.event({"type": "app_home_opened", "user": CONVENOR, "tab": "home", "channel": "D1"})
    home = kettle.fake.home(CONVENOR)
    assert home is not None
    seen = names(home["blocks"])
    assert len(seen) == SHOWN_CARDS and len(home["blocks"]) <= 100
    value = more(home["blocks"])
    assert value == str(SHOWN_CARDS)
    kettle.click(CONVENOR, MembershipIds.APPLICATIONS_MORE, value=value, view=home)
    page = kettle.fake.last_view()
    assert page is not None and page["type"] == "modal"
    seen += names(page["blocks"])
    kettle.click(CONVENOR, MembershipIds.APPLICATIONS_MORE, value=more(page["blocks"]), view=page)
    last = kettle.fake.view(page["id"])
    assert last is not None and more(last["blocks"]) is None
    seen += names(last["blocks"])
    assert sorted(seen) == [f"Applicant {i:02}" for i in range(total)]
    # Each card opens the review on top of the page it is on.
    card = next(
        b["accessory"]["value"]
        for b in last["blocks"]
        if b.get("accessory", {}).get("action_id") == MembershipIds.REVIEW_BUTTON
    )
    kettle.click(CONVENOR, MembershipIds.REVIEW_BUTTON, value=card, view=last)
    (pushed,) = kettle.fake.calls_to("views.push")
    assert MembershipIds.REVIEW_MODAL in json.dumps(pushed)


def test_cop_review_pages_in_place(kettle: Kettle) -> None:
    applications(kettle, SHOWN_CARDS + 2)
    reply = kettle.command(CONVENOR, "/cop", "review")
    first = reply.json["blocks"]
    value = more(first)
    assert value is not None and len(names(first)) == SHOWN_CARDS
    kettle.click(CONVENOR, MembershipIds.APPLICATIONS_MORE, value=value)
    page = kettle.fake.responses[-1]
    assert page["replace_original"] is True and len(names(page["blocks"])) == 2


def test_only_a_convenor_may_turn_the_page(kettle: Kettle) -> None:
    applications(kettle, SHOWN_CARDS + 2)
    kettle.click(MEMBER, MembershipIds.APPLICATIONS_MORE, value=str(SHOWN_CARDS))
    said = json.dumps(kettle.fake.responses)
    assert "Applicant" not in said and "convenor" in said.lower()
    kettle.click(CONVENOR, MembershipIds.APPLICATIONS_MORE, value="-3")
    assert "out of date" in json.dumps(kettle.fake.responses[-1])
    kettle.click(CONVENOR, MembershipIds.APPLICATIONS_MORE, value="eight")
    assert "out of date" in json.dumps(kettle.fake.responses[-1])
