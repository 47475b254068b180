"""Journeys through Create space as people really use it: forms left open while time moves on,
a facilitator who steers by hand, members far from London."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.builders.ids import RoundIds
from bot.models import Member, RoundCommitment, RoundContribution
from bot.schedules import rounds as schedule
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2
from tests.harness import Kettle, state, text_value
from tests.scenario.test_rounds_ai import date_value, posted, start_ai, the_round, thread


def test_a_contribution_written_while_the_phase_moves_on_stays_in_its_phase(
    kettle: Kettle,
) -> None:
    round_ = start_ai(kettle, minutes="0")
    # Amina opens the Discover form and takes her time writing...
    kettle.click(MEMBER, RoundIds.CONTRIBUTE, value=f"{round_.id}:0")
    discover_form = kettle.fake.last_view()
    assert discover_form is not None
    # ...while the convenor moves the group on to Dream.
    kettle.click(CONVENOR, RoundIds.NEXT, value=f"{round_.id}:0", channel=COP)
    assert the_round(kettle).phase_index == 1
    reply = kettle.submit(
        MEMBER, discover_form, state(**{RoundIds.TEXT: text_value("The day the hall was full")})
    )
    assert reply.status == 200 and not reply.text
    with kettle.db() as session:
        said = session.scalars(select(RoundContribution)).one()
        assert said.phase_index == 0
    assert posted(thread(kettle, round_.id), "(Discover): The day the hall was full") == 1

    # In Design Rohan opens the form; the round reaches Destiny (commitments) before he sends.
    kettle.click(CONVENOR, RoundIds.NEXT, value=f"{round_.id}:1", channel=COP)
    kettle.click(MEMBER2, RoundIds.CONTRIBUTE, value=f"{round_.id}:2")
    design_form = kettle.fake.last_view()
    assert design_form is not None
    kettle.click(CONVENOR, RoundIds.NEXT, value=f"{round_.id}:2", channel=COP)
    assert the_round(kettle).phase_index == 3
    reply = kettle.submit(
        MEMBER2, design_form, state(**{RoundIds.TEXT: text_value("Rotate who hosts")})
    )
    # Stored as a Design contribution, not refused for a date field his form never had.
    assert reply.status == 200 and not reply.text, reply.text
    with kettle.db() as session:
        phases = sorted(c.phase_index for c in session.scalars(select(RoundContribution)))
        assert phases == [0, 2]
    assert posted(thread(kettle, round_.id), "(Design): Rotate who hosts") == 1


def test_resuming_a_phase_run_by_hand_does_not_invent_a_timer(kettle: Kettle) -> None:
    round_ = start_ai(kettle, minutes="0")
    kettle.click(CONVENOR, RoundIds.PAUSE, value=f"{round_.id}:0", channel=COP)
    kettle.click(CONVENOR, RoundIds.RESUME, value=f"{round_.id}:0", channel=COP)
    replies = thread(kettle, round_.id)
    resumed = [m["text"] for m in replies if "Resumed" in m["text"]]
    assert len(resumed) == 1
    assert "minutes left" not in resumed[0], resumed[0]
    assert the_round(kettle).phase_deadline is None


def test_a_commitment_shows_the_day_its_owner_picked_in_their_own_zone(kettle: Kettle) -> None:
    with kettle.db() as session:
        rohan = session.scalars(select(Member).where(Member.user_id == MEMBER2)).one()
        rohan.tz = "America/Los_Angeles"  # 17:00 there is already tomorrow in UTC
    round_ = start_ai(kettle, minutes="0")
    for index in range(3):
        kettle.click(CONVENOR, RoundIds.NEXT, value=f"{round_.id}:{index}", channel=COP)
    day = date.today() + timedelta(days=10)
    round_ = the_round(kettle)
    kettle.click(MEMBER2, RoundIds.CONTRIBUTE, value=f"{round_.id}:3")
    form = kettle.fake.last_view()
    assert form is not None
    kettle.submit(
        MEMBER2,
        form,
        state(
            **{
                RoundIds.TEXT: text_value("host the June meet-up"),
                RoundIds.WHEN: date_value(day.isoformat()),
            }
        ),
    )
    picked = f"{day:%a %d %b}"
    assert posted(thread(kettle, round_.id), f"will host the June meet-up by {picked}") == 1

    # The reminder and the "how did it go?" name the same day (timed from the stored date, so
    # the hour the test runs at cannot move the reminder out of its window).
    with kettle.db() as session:
        due = session.scalars(select(RoundCommitment)).one().due_at
    schedule.tick(due - timedelta(days=1))
    schedule.tick(due + timedelta(hours=12))
    dms = [m["text"] for m in kettle.fake.dm_messages(MEMBER2)]
    about = [t for t in dms if "host the June meet-up" in t]
    assert len(about) == 2, dms
    assert all(f"by {picked}" in t for t in about), about

    # And so does the synthesis.
    kettle.click(CONVENOR, RoundIds.NEXT, value=f"{round_.id}:3", channel=COP)
    with kettle.db() as session:
        commitment = session.scalars(select(RoundCommitment)).one()
        synthesis = commitment.round.synthesis or ""
    assert f"(by {day:%d %b %Y})" in synthesis, synthesis


def test_today_is_the_members_own_today_when_picking_a_commitment_date() -> None:
    from datetime import UTC, datetime

    from bot.services import rounds as svc

    evening_in_california = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)  # 19:00 on the 10th there
    today = svc.local_today("America/Los_Angeles", evening_in_california)
    assert today == date(2026, 3, 10)
    due = svc.parse_due("2026-03-10", "America/Los_Angeles", today=today)
    assert due.date() == date(2026, 3, 10)
    assert svc.local_today("Pacific/Auckland", evening_in_california) == date(2026, 3, 11)
    assert svc.local_today("Not/AZone", evening_in_california) == date(2026, 3, 11)


def test_pairing_words_typed_with_capitals_and_odd_spacing(kettle: Kettle) -> None:
    on = kettle.command(MEMBER, "/cop", "  Pairing   ON ").json["text"]
    assert "/cop pairing" not in on  # understood, not the usage text
    avoid = kettle.command(MEMBER, "/cop", "pairing  AVOID   @rohan ").json["text"]
    assert "Rohan" in avoid and "couldn't" not in avoid
    status = kettle.command(MEMBER, "/cop", "pairing").json["text"]
    assert "Rohan" in status
    # The choice is private: nothing about it reaches Rohan or a channel.
    assert not any("avoid" in str(m.get("text")).lower() for m in kettle.fake.dm_messages(MEMBER2))
    assert not any("Rohan" in str(m.get("text")) for m in kettle.fake.messages(COP))
