"""Care without surveillance, read as a member who checks in "just me" reads it: what they give
privately or anonymously reaches nothing a convenor sees by name, aggregates appear only over
enough shared answers, care nudges go only when asked for, and weekly check-ins can be turned off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import runtime
from bot.builders.ids import CheckinIds, MeetingIds
from bot.models import Community, utcnow
from bot.schedules import knowledge as knowledge_schedule
from bot.schedules import meetings as meetings_schedule
from bot.services import membership
from bot.services.membership import SlackProfile
from tests.conftest import CONVENOR, MEMBER, MEMBER2
from tests.fakeslack import build_state_values
from tests.harness import Kettle
from tests.scenario.test_meetings import click_on, plan


def check_in(kettle: Kettle, user: str, week: str | None, answers: dict[str, Any]) -> Any:
    if week is None:
        kettle.command(user, "/checkin")
    else:
        kettle.click(user, CheckinIds.OPEN_BUTTON, value=week)
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == CheckinIds.MODAL
    return kettle.submit(user, view, build_state_values(view, answers))


def add_member(kettle: Kettle, user: str, name: str, tz: str = "Europe/London") -> None:
    kettle.fake.add_user(user, name, tz=tz)
    with kettle.db() as session:
        community = session.scalars(select(Community)).one()
        membership.admit(session, community, SlackProfile(user, name, tz))


def monthly_report(kettle: Kettle, after_days: int = 50) -> str:
    """The monthly health report that comes on the first of a month at least `after_days` on."""
    day = (utcnow() + timedelta(days=after_days)).date()
    first = day.replace(day=1)
    first = first if first >= day else (first + timedelta(days=32)).replace(day=1)
    knowledge_schedule.tick(datetime(first.year, first.month, 1, 10, 0, tzinfo=UTC))
    reports = [m for m in kettle.fake.dm_messages(CONVENOR) if "Health of" in m.get("text", "")]
    assert len(reports) == 1
    return str(reports[0]["text"])


def tomorrows_meeting(kettle: Kettle) -> tuple[dict[str, Any], datetime]:
    """A one-off hour-long meeting tomorrow at 12:00 in the convenor's London."""
    day = (utcnow() + timedelta(days=1)).date()
    post = plan(kettle, day=day.isoformat(), start="12:00", duration="60", repeat="none")
    start = datetime(day.year, day.month, day.day, 12, 0, tzinfo=ZoneInfo("Europe/London"))
    return post, start.astimezone(UTC)


def answer_pulse(kettle: Kettle, user: str, score: int) -> None:
    dm = kettle.fake.dm_channel_for(user)
    pulse = next(m for m in kettle.fake.dm_messages(user) if "How was today" in m["text"])
    click_on(kettle, user, pulse, f"{MeetingIds.PULSE_SCORE}_{score}", channel=dm)


def quiet_line(report: str) -> str:
    return next((line for line in report.splitlines() if "Recently quiet" in line), "")


# -- 1. nothing private or anonymous makes anyone active, or quiet, by name ---------------------


def test_a_just_me_checkin_never_names_its_author_in_the_health_report(kettle: Kettle) -> None:
    check_in(kettle, MEMBER, None, {CheckinIds.MOOD: "3", CheckinIds.VISIBILITY: "private"})
    check_in(kettle, MEMBER2, None, {CheckinIds.MOOD: "3", CheckinIds.VISIBILITY: "convenors"})
    report = monthly_report(kettle)
    # Rohan shared with the convenors, so they may see he has gone quiet since; Amina did not.
    assert "Rohan" in quiet_line(report)
    assert "Amina" not in report


def test_an_anonymous_pulse_answer_never_names_its_author_in_the_health_report(
    kettle: Kettle,
) -> None:
    post, start = tomorrows_meeting(kettle)
    click_on(kettle, MEMBER, post, MeetingIds.RSVP_MAYBE)  # a "maybe" is counted, never named
    click_on(kettle, MEMBER2, post, MeetingIds.RSVP_GOING)  # "Coming: Rohan" on the post
    meetings_schedule.run_tick(runtime.current(), start + timedelta(minutes=65))
    answer_pulse(kettle, MEMBER, 5)  # "the convenor sees it without your name"
    report = monthly_report(kettle)
    assert "Rohan" in quiet_line(report)
    assert "Amina" not in report
