"""Care without surveillance, read as a member who checks in "just me" reads it: what they give
privately or anonymously reaches nothing a convenor sees by name, aggregates appear only over
enough shared answers, care nudges go only when asked for, and weekly check-ins can be turned off.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import runtime
from bot.builders.ids import CheckinIds, MeetingIds
from bot.models import Community, utcnow
from bot.schedules import knowledge as knowledge_schedule
from bot.schedules import meetings as meetings_schedule
from bot.schedules.checkins import run_tick
from bot.services import checkins, membership
from bot.services.membership import SlackProfile
from tests.conftest import CONVENOR, MEMBER, MEMBER2, OUTSIDER
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


# -- 2. aggregates over shared answers only, and only over enough of them ------------------------

PRIYA, SAM = "UPRIYA", "USAM"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def checkin_tick(now: datetime) -> None:
    run_tick(runtime.current(), now=now)


def week_summary(kettle: Kettle, week: str) -> str:
    with kettle.db() as session:
        community = session.scalars(select(Community)).one()
        close = checkins.window_close(session, community, week, "Europe/London")
    checkin_tick(close)
    found = [
        m for m in kettle.fake.dm_messages(CONVENOR) if f"Check-ins for {week}" in m.get("text", "")
    ]
    assert len(found) == 1
    return json.dumps(found[0]["blocks"], ensure_ascii=False)


def test_the_mood_spread_counts_only_shared_moods_and_only_over_enough_of_them(
    kettle: Kettle,
) -> None:
    add_member(kettle, PRIYA, "Priya")
    add_member(kettle, SAM, "Sam")
    week = "2026-W14"
    checkin_tick(utc(2026, 3, 30, 14, 0))  # everyone's DM: five members
    # Amina, struggling, checks in "just me"; three others share with the convenors.
    check_in(kettle, MEMBER, week, {CheckinIds.MOOD: "1", CheckinIds.VISIBILITY: "private"})
    for user, mood in ((MEMBER2, "4"), (PRIYA, "4"), (SAM, "5")):
        check_in(kettle, user, week, {CheckinIds.MOOD: mood, CheckinIds.VISIBILITY: "convenors"})
    kettle.click(CONVENOR, CheckinIds.SKIP_BUTTON, value=week)
    summary = week_summary(kettle, week)
    # Subtracting the named moods from the spread leaves nothing of Amina's.
    assert ":cloud_with_rain: 0" in summary and ":mostly_sunny: 2" in summary
    assert ":sunny: 1" in summary
    assert "*3* of 5" in summary and "skipped" not in summary
    assert "Amina" not in summary

    # The next week two share: too few for a spread that could not be worked back to them.
    week = "2026-W15"
    checkin_tick(utc(2026, 4, 6, 14, 0))
    check_in(kettle, MEMBER, week, {CheckinIds.MOOD: "1", CheckinIds.VISIBILITY: "private"})
    for user in (MEMBER2, PRIYA):
        check_in(kettle, user, week, {CheckinIds.MOOD: "3", CheckinIds.VISIBILITY: "cop"})
    summary = week_summary(kettle, week)
    assert "too few shared to show a spread" in summary
    assert ":cloud_with_rain:" not in summary and ":partly_sunny:" not in summary
    assert "Rohan" in summary and "Priya" in summary  # what they shared is still there


def health_comment(kettle: Kettle) -> str:
    before = len(kettle.fake.calls_to("files.completeUploadExternal"))
    kettle.command(CONVENOR, "/cop", "health")
    uploads = kettle.fake.calls_to("files.completeUploadExternal")
    assert len(uploads) == before + 1
    return str(uploads[-1]["initial_comment"])


def rate_line(report: str, name: str) -> str:
    return next((line for line in report.splitlines() if name in line), "")


def test_the_health_reports_checkin_rate_counts_only_shared_answers_over_enough_people(
    kettle: Kettle,
) -> None:
    add_member(kettle, PRIYA, "Priya")
    add_member(kettle, SAM, "Sam")
    week = "2026-W14"
    checkin_tick(utc(2026, 3, 30, 14, 0))  # five check-ins sent
    check_in(kettle, MEMBER, week, {CheckinIds.MOOD: "2", CheckinIds.VISIBILITY: "private"})
    check_in(kettle, CONVENOR, week, {CheckinIds.MOOD: "2", CheckinIds.VISIBILITY: "private"})
    for user in (MEMBER2, PRIYA):
        check_in(kettle, user, week, {CheckinIds.MOOD: "4", CheckinIds.VISIBILITY: "convenors"})
    line = rate_line(health_comment(kettle), "Check-ins shared")
    assert "too few shared to show" in line and "%" not in line

    check_in(kettle, SAM, week, {CheckinIds.MOOD: "4", CheckinIds.VISIBILITY: "cop"})
    line = rate_line(health_comment(kettle), "Check-ins shared")
    assert "60%" in line  # three of five shared; the two "just me" answers are not in it


def test_the_pulse_summary_waits_for_enough_answers(kettle: Kettle) -> None:
    add_member(kettle, PRIYA, "Priya")
    post, start = tomorrows_meeting(kettle)
    for user in (MEMBER, MEMBER2, PRIYA):
        click_on(kettle, user, post, MeetingIds.RSVP_GOING)
    meetings_schedule.run_tick(runtime.current(), start + timedelta(minutes=65))
    answer_pulse(kettle, MEMBER, 1)
    answer_pulse(kettle, MEMBER2, 5)
    meetings_schedule.run_tick(runtime.current(), start + timedelta(hours=26))
    (summary,) = [
        m["text"] for m in kettle.fake.dm_messages(CONVENOR) if "answered" in m.get("text", "")
    ]
    # Two answers: a spread or an average would tell each what the other said.
    assert "too few" in summary and "average" not in summary and "1:" not in summary


# -- 3. a care nudge only when the member asked for one, in words that say what happens ----------


def care_nudges(kettle: Kettle) -> list[dict[str, Any]]:
    return [m for m in kettle.fake.dm_messages(CONVENOR) if "gentle note" in m.get("text", "")]


def test_two_low_moods_shared_send_no_nudge_nobody_asked_for(kettle: Kettle) -> None:
    for week, monday in (("2026-W14", utc(2026, 3, 30, 14, 0)), ("2026-W15", utc(2026, 4, 6, 14))):
        checkin_tick(monday)
        check_in(kettle, MEMBER2, week, {CheckinIds.MOOD: "1", CheckinIds.VISIBILITY: "convenors"})
        checkin_tick(monday + timedelta(minutes=5))  # the tick's catch-up of care nudges too
    # Amina shares what support would help, but does not tick the box that sends a DM.
    answers = {
        CheckinIds.MOOD: "3",
        CheckinIds.SUPPORT: "Time, mostly",
        CheckinIds.VISIBILITY: "convenors",
    }
    check_in(kettle, MEMBER, "2026-W15", answers)
    checkin_tick(utc(2026, 4, 6, 15, 0))
    assert care_nudges(kettle) == []
    assert "low mood" not in json.dumps(kettle.fake.dm_messages(CONVENOR))
    # What they shared still reaches the convenors where they were told it would: the summary.
    summary = week_summary(kettle, "2026-W15")
    assert "Time, mostly" in summary and "Rohan" in summary


def test_the_form_says_who_sees_what_and_the_care_box_does_what_it_says(kettle: Kettle) -> None:
    kettle.command(MEMBER, "/checkin")
    view = kettle.fake.last_view()
    assert view is not None
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    seen_by = {
        o["value"]: o["text"]["text"] + " — " + o["description"]["text"]
        for o in blocks[CheckinIds.VISIBILITY]["element"]["options"]
    }
    assert "Only you" in seen_by["private"]
    assert "convenors" in seen_by["convenors"] and "name" in seen_by["convenors"]
    assert "CoP" in seen_by["cop"]
    (box,) = blocks[CheckinIds.TELL_CONVENORS]["element"]["options"]
    assert "Tell the convenors I could use a hand" in box["text"]["text"]
    assert "they'll get a DM with my name" in box["text"]["text"]

    # Amina keeps her words to herself and ticks the box: the convenor hears her name, nothing else.
    secret = "PRIVATE-WORDS about the funding bid"
    kettle.submit(
        MEMBER,
        view,
        build_state_values(
            view,
            {
                CheckinIds.MOOD: "2",
                CheckinIds.ON_MIND: secret,
                CheckinIds.SUPPORT: secret,
                CheckinIds.TELL_CONVENORS: [CheckinIds.TELL_CONVENORS_YES.value],
                CheckinIds.VISIBILITY: "private",
            },
        ),
    )
    (nudge,) = care_nudges(kettle)
    assert "Amina" in nudge["text"] and "could use a hand" in json.dumps(nudge["blocks"])
    assert "PRIVATE-WORDS" not in json.dumps(kettle.fake.dm_messages(CONVENOR))
    thanks = kettle.fake.dm_messages(MEMBER)[-1]["text"]
    assert "Only you can see your answers" in thanks and "told the convenors" in thanks
    # The same answer again, or the tick's catch-up, sends no second nudge.
    kettle.submit(MEMBER, view, build_state_values(view, {CheckinIds.MOOD: "2"}))
    checkin_tick(utcnow())
    assert len(care_nudges(kettle)) == 1


# -- 4. weekly check-ins can be turned off for good, and every check-in job honours it -----------


def reminders(kettle: Kettle, user: str) -> list[dict[str, Any]]:
    return [m for m in kettle.fake.dm_messages(user) if "nudge" in m.get("text", "")]


def weekly_dms(kettle: Kettle, user: str) -> list[dict[str, Any]]:
    return [m for m in kettle.fake.dm_messages(user) if "time for a cup of tea" in m["text"]]


def home_text(kettle: Kettle, user: str) -> str:
    kettle.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D9"})
    return json.dumps(kettle.fake.home(user), ensure_ascii=False)


def test_checkins_turned_off_from_the_app_home_stay_off_until_turned_on(kettle: Kettle) -> None:
    monday = utc(2026, 3, 30, 14, 0)
    checkin_tick(monday)
    assert len(weekly_dms(kettle, MEMBER)) == 1
    home = home_text(kettle, MEMBER)
    assert CheckinIds.OFF_BUTTON in home
    kettle.click(MEMBER, CheckinIds.OFF_BUTTON)
    home = json.dumps(kettle.fake.home(MEMBER), ensure_ascii=False)
    assert "Weekly check-ins are off" in home and CheckinIds.ON_BUTTON in home
    assert CheckinIds.OFF_BUTTON not in home

    # This week's reminder and every later week's DM honour it; the others carry on.
    checkin_tick(monday + timedelta(hours=25))
    assert reminders(kettle, MEMBER) == [] and len(reminders(kettle, MEMBER2)) == 1
    for weeks in range(1, 5):
        checkin_tick(monday + timedelta(weeks=weeks))
        checkin_tick(monday + timedelta(weeks=weeks, hours=25))
    assert len(weekly_dms(kettle, MEMBER)) == 1 and len(weekly_dms(kettle, MEMBER2)) == 5
    assert reminders(kettle, MEMBER) == []

    # The convenors' count is of those asked: Amina, who turned them off, is not missing from it.
    check_in(kettle, MEMBER2, "2026-W18", {CheckinIds.MOOD: "4", CheckinIds.VISIBILITY: "cop"})
    assert "*1* of 2 shared" in week_summary(kettle, "2026-W18")

    # Back on, from the App Home: the next week's DM comes again.
    kettle.click(MEMBER, CheckinIds.ON_BUTTON)
    assert "Weekly check-ins are off" not in json.dumps(kettle.fake.home(MEMBER))
    checkin_tick(monday + timedelta(weeks=5))
    assert len(weekly_dms(kettle, MEMBER)) == 2


def test_checkin_off_and_on_by_command_and_the_home_shows_a_pause(kettle: Kettle) -> None:
    reply = kettle.command(MEMBER, "/checkin", "off")
    assert reply.json["response_type"] == "ephemeral" and "off" in reply.json["text"]
    assert "already off" in kettle.command(MEMBER, "/checkin", "off").json["text"]
    checkin_tick(utc(2026, 3, 30, 14, 0))
    assert weekly_dms(kettle, MEMBER) == [] and len(weekly_dms(kettle, MEMBER2)) == 1
    assert "Weekly check-ins are off" in home_text(kettle, MEMBER)
    # A check-in is still hers to make whenever she likes.
    kettle.command(MEMBER, "/checkin")
    assert kettle.fake.last_view()["callback_id"] == CheckinIds.MODAL  # type: ignore[index]

    reply = kettle.command(MEMBER, "/checkin", "on")
    assert "back on" in reply.json["text"]
    assert "not off" in kettle.command(MEMBER, "/checkin", "on").json["text"]
    checkin_tick(utc(2026, 4, 6, 14, 0))
    assert len(weekly_dms(kettle, MEMBER)) == 1

    # A pause shows on the App Home too, and what "off" would do instead.
    kettle.click(MEMBER2, CheckinIds.PAUSE_BUTTON, value="2026-W15")
    view = kettle.fake.last_view()
    assert view is not None and "/checkin off" in json.dumps(view)
    until = (utcnow() + timedelta(days=20)).date()
    kettle.submit(
        MEMBER2, view, build_state_values(view, {CheckinIds.PAUSE_UNTIL: until.isoformat()})
    )
    home = home_text(kettle, MEMBER2)
    assert "paused until" in home and CheckinIds.OFF_BUTTON in home
    assert kettle.command(OUTSIDER, "/checkin", "off").json["response_type"] == "ephemeral"
