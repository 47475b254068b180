"""Check-ins end to end: the tick sends DMs at each member's own 09:30, the buttons and form work
through signed requests, and the convenors hear only what was shared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot import runtime
from bot.builders.ids import CheckinIds
from bot.models import Checkin, CheckinPause, Community, Delivery, DeliveryStatus
from bot.schedules.checkins import run_tick
from bot.services import checkins, membership
from bot.services.membership import SlackProfile
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2, OUTSIDER
from tests.fakeslack import build_state_values
from tests.harness import Kettle

KIWI = "UKIWI"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def add_kiwi(kettle: Kettle) -> None:
    kettle.fake.add_user(KIWI, "Tama", tz="Pacific/Auckland")
    with kettle.db() as session:
        community = session.scalars(select(Community)).one()
        membership.admit(session, community, SlackProfile(KIWI, "Tama", "Pacific/Auckland"))


def checkin_dms(kettle: Kettle, user: str) -> list[dict]:
    return [
        m
        for m in kettle.fake.dm_messages(user)
        if (m.get("metadata") or {}).get("event_payload", {}).get("key", "").startswith("checkin:")
    ]


def tick(now: datetime) -> None:
    run_tick(runtime.current(), now=now)


def test_each_member_gets_one_dm_at_their_own_0930_in_the_clock_change_week(kettle: Kettle) -> None:
    add_kiwi(kettle)
    # Week 14 of 2026: London has just moved to BST, Auckland leaves NZDT on 5 April (next week).
    expected = {
        CONVENOR: utc(2026, 3, 30, 8, 30),  # Europe/London, BST
        MEMBER: utc(2026, 3, 30, 13, 30),  # America/New_York, EDT
        MEMBER2: utc(2026, 3, 30, 4, 0),  # Asia/Kolkata
        KIWI: utc(2026, 3, 29, 20, 30),  # Pacific/Auckland, NZDT
    }
    first_seen: dict[str, datetime] = {}
    now = utc(2026, 3, 29, 12, 0)
    while now < utc(2026, 3, 31, 12, 0):
        tick(now)
        for user in expected:
            if user not in first_seen and checkin_dms(kettle, user):
                first_seen[user] = now
        now += timedelta(minutes=10)
    assert first_seen == expected
    for user in expected:
        assert len(checkin_dms(kettle, user)) == 1
    assert OUTSIDER not in first_seen and kettle.fake.dm_messages(OUTSIDER) == []

    # Next week Auckland is on NZST: Sunday 21:30 UTC.
    tick(utc(2026, 4, 5, 21, 29))
    assert len(checkin_dms(kettle, KIWI)) == 1
    tick(utc(2026, 4, 5, 21, 30))
    assert len(checkin_dms(kettle, KIWI)) == 2


def test_catch_up_after_downtime_until_the_end_of_the_local_day(kettle: Kettle) -> None:
    tick(utc(2026, 3, 30, 17, 0))  # Kettle was down all morning: still Monday in London
    assert len(checkin_dms(kettle, CONVENOR)) == 1
    assert len(checkin_dms(kettle, MEMBER)) == 1  # 13:00 in New York
    assert len(checkin_dms(kettle, MEMBER2)) == 1  # 22:30 in Kolkata: still Monday there
    tick(utc(2026, 3, 30, 17, 1))
    assert all(len(checkin_dms(kettle, u)) == 1 for u in (CONVENOR, MEMBER, MEMBER2))


def test_a_day_missed_entirely_is_not_sent_late(kettle: Kettle) -> None:
    tick(utc(2026, 3, 31, 10, 0))  # Tuesday everywhere but the far west
    assert checkin_dms(kettle, CONVENOR) == [] and checkin_dms(kettle, MEMBER2) == []


def dm_message(kettle: Kettle, user: str) -> dict:
    return checkin_dms(kettle, user)[-1]


def test_buttons_form_reminder_summary_and_care(kettle: Kettle) -> None:
    monday = utc(2026, 3, 30, 14, 0)
    tick(monday)
    dm = dm_message(kettle, MEMBER)
    actions = next(b for b in dm["blocks"] if b.get("block_id") == CheckinIds.DM_ACTIONS)
    assert [e["action_id"] for e in actions["elements"]] == [
        CheckinIds.OPEN_BUTTON,
        CheckinIds.SKIP_BUTTON,
        CheckinIds.PAUSE_BUTTON,
    ]
    week = actions["elements"][0]["value"]
    assert week == "2026-W14"

    # MEMBER checks in, shares with convenors and asks for a hand: a care nudge goes at once.
    kettle.click(MEMBER, CheckinIds.OPEN_BUTTON, value=week)
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == CheckinIds.MODAL
    values = build_state_values(
        view,
        {
            CheckinIds.MOOD: "2",
            CheckinIds.ON_MIND: "Funding <!channel> worries",
            CheckinIds.SUPPORT: "Someone to talk grants through",
            CheckinIds.TELL_CONVENORS: [CheckinIds.TELL_CONVENORS_YES.value],
            CheckinIds.VISIBILITY: "convenors",
        },
    )
    reply = kettle.submit(MEMBER, view, values)
    assert reply.status == 200 and not reply.text
    care = [m for m in kettle.fake.dm_messages(CONVENOR) if "use a hand" in str(m["blocks"])]
    assert len(care) == 1 and "Amina" in str(care[0]["blocks"])
    # A second answer updates the first; the care nudge is not repeated.
    kettle.submit(MEMBER, view, values)
    with kettle.db() as session:
        assert len(session.scalars(select(Checkin)).all()) == 1

    # MEMBER2 skips; CONVENOR answers privately.
    kettle.click(MEMBER2, CheckinIds.SKIP_BUTTON, value=week)
    kettle.click(CONVENOR, CheckinIds.OPEN_BUTTON, value=week)
    view = kettle.fake.last_view()
    assert view is not None
    kettle.submit(
        CONVENOR,
        view,
        build_state_values(
            view,
            {CheckinIds.MOOD: "5", CheckinIds.WIN: "Secret win", CheckinIds.VISIBILITY: "private"},
        ),
    )

    # Nobody left unanswered, so no reminder; the summary comes once the window closes.
    tick(monday + timedelta(hours=30))
    reminders = [m for m in kettle.fake.dm_messages(MEMBER) if "nudge" in m["text"]]
    assert reminders == []
    with kettle.db() as session:
        community = session.scalars(select(Community)).one()
        close = checkins.window_close(session, community, week, "Europe/London")
    tick(close - timedelta(minutes=1))
    assert not [m for m in kettle.fake.dm_messages(CONVENOR) if "Check-ins for" in m["text"]]
    tick(close)
    tick(close + timedelta(minutes=5))
    summaries = [m for m in kettle.fake.dm_messages(CONVENOR) if "Check-ins for" in m["text"]]
    assert len(summaries) == 1
    text = str(summaries[0]["blocks"])
    assert "*1* of 3 shared their check-in" in text and "skipped" not in text
    assert "too few shared to show a spread" in text
    assert "Amina" in text and "&lt;!channel&gt;" in text
    assert "Secret win" not in text and "Esther" not in text
    assert text.index("Asked for support") < text.index("Amina")


def test_bad_check_in_answers_are_named_on_the_form_and_nothing_is_kept(kettle: Kettle) -> None:
    kettle.command(MEMBER, "/checkin")
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == CheckinIds.MODAL
    too_long = "x" * (checkins.TEXT_MAX + 1)
    reply = kettle.submit(
        MEMBER,
        view,
        build_state_values(view, {CheckinIds.WIN: too_long, CheckinIds.VISIBILITY: "convenors"}),
    )
    assert reply.json["response_action"] == "errors"
    assert set(reply.json["errors"]) == {CheckinIds.MOOD, CheckinIds.WIN}
    with kettle.db() as session:
        assert session.scalars(select(Checkin)).all() == []
    assert kettle.fake.dm_messages(MEMBER) == []


def test_one_reminder_after_the_configured_time(kettle: Kettle) -> None:
    tick(utc(2026, 3, 30, 9, 0))
    assert len(checkin_dms(kettle, CONVENOR)) == 1
    tick(utc(2026, 3, 31, 8, 29))
    assert len(kettle.fake.dm_messages(CONVENOR)) == 1
    tick(utc(2026, 3, 31, 8, 30))
    tick(utc(2026, 3, 31, 12, 0))
    tick(utc(2026, 4, 1, 12, 0))
    assert len(kettle.fake.dm_messages(CONVENOR)) == 2
    assert "nudge" in kettle.fake.dm_messages(CONVENOR)[-1]["text"]


def test_pause_until_a_date(kettle: Kettle) -> None:
    kettle.click(MEMBER, CheckinIds.PAUSE_BUTTON, value="2026-W14")
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == CheckinIds.PAUSE_MODAL
    reply = kettle.submit(
        MEMBER, view, build_state_values(view, {CheckinIds.PAUSE_UNTIL: "2001-01-01"})
    )
    assert reply.json["response_action"] == "errors"
    future = (datetime.now(UTC) + timedelta(days=20)).date()
    kettle.submit(
        MEMBER, view, build_state_values(view, {CheckinIds.PAUSE_UNTIL: future.isoformat()})
    )
    with kettle.db() as session:
        assert session.scalars(select(CheckinPause)).one().until == future
    monday = future - timedelta(days=future.weekday())
    tick(datetime(monday.year, monday.month, monday.day, 18, 0, tzinfo=UTC))
    assert checkin_dms(kettle, MEMBER) == []
    assert len(checkin_dms(kettle, CONVENOR)) == 1

    # Back early: /checkin resume ends the pause, and saying it twice is harmless.
    reply = kettle.command(MEMBER, "/checkin", "resume")
    assert "Welcome back" in reply.json["text"]
    assert "not paused" in kettle.command(MEMBER, "/checkin", "RESUME").json["text"]
    with kettle.db() as session:
        assert session.scalars(select(CheckinPause)).all() == []
    assert kettle.command(OUTSIDER, "/checkin", "resume").json["response_type"] == "ephemeral"


def test_checkin_command_for_member_outsider_and_convenor_settings(kettle: Kettle) -> None:
    reply = kettle.command(OUTSIDER, "/checkin")
    assert reply.json["response_type"] == "ephemeral" and kettle.fake.views_opened == []

    kettle.command(MEMBER, "/checkin")
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == CheckinIds.MODAL

    reply = kettle.command(MEMBER, "/checkin", "settings")
    assert "convenor" in reply.json["text"]
    assert kettle.fake.last_view()["callback_id"] == CheckinIds.MODAL  # type: ignore[index]

    kettle.command(CONVENOR, "/checkin", "settings")
    settings_view = kettle.fake.last_view()
    assert settings_view is not None and settings_view["callback_id"] == CheckinIds.SETTINGS_MODAL
    answers = {
        CheckinIds.SETTINGS_WEEKDAY: "2",
        CheckinIds.SETTINGS_TIME: "14:15",
        CheckinIds.SETTINGS_REMINDER: "48",
        CheckinIds.SETTINGS_WINDOW: "48",
        CheckinIds.SETTINGS_ENABLED: [CheckinIds.SETTINGS_ENABLED_YES.value],
    }
    bad = kettle.submit(CONVENOR, settings_view, build_state_values(settings_view, answers))
    assert CheckinIds.SETTINGS_REMINDER in bad.json["errors"]
    answers[CheckinIds.SETTINGS_WINDOW] = "72"
    # A member forging the convenor's form changes nothing.
    forged = kettle.submit(MEMBER, settings_view, build_state_values(settings_view, answers))
    assert forged.json["response_action"] == "update"
    with kettle.db() as session:
        assert checkins.get_schedule(session.scalars(select(Community)).one()).weekday == 0
    kettle.submit(CONVENOR, settings_view, build_state_values(settings_view, answers))
    with kettle.db() as session:
        schedule = checkins.get_schedule(session.scalars(select(Community)).one())
    assert (schedule.weekday, schedule.at.strftime("%H:%M"), schedule.reminder_hours) == (
        2,
        "14:15",
        48,
    )
    # Wednesday 14:15 in New York.
    tick(utc(2026, 4, 1, 18, 14))
    assert checkin_dms(kettle, MEMBER) == []
    tick(utc(2026, 4, 1, 18, 15))
    assert len(checkin_dms(kettle, MEMBER)) == 1


def test_settings_button_is_for_convenors_and_home_shows_the_trend(kettle: Kettle) -> None:
    kettle.click(MEMBER, CheckinIds.SETTINGS_BUTTON)
    assert kettle.fake.views_opened == []
    kettle.click(CONVENOR, CheckinIds.SETTINGS_BUTTON)
    assert kettle.fake.last_view()["callback_id"] == CheckinIds.SETTINGS_MODAL  # type: ignore[index]
    kettle.click(OUTSIDER, CheckinIds.OPEN_BUTTON, value="2026-W14")
    assert kettle.fake.last_view()["callback_id"] == CheckinIds.SETTINGS_MODAL  # type: ignore[index]

    kettle.command(MEMBER, "/checkin")
    view = kettle.fake.last_view()
    assert view is not None
    kettle.submit(
        MEMBER,
        view,
        build_state_values(view, {CheckinIds.MOOD: "4", CheckinIds.VISIBILITY: "private"}),
    )
    home = str(kettle.fake.home(MEMBER))
    assert "Your weekly check-in" in home and "4 · Good" in home and "Check-in settings" not in home
    kettle.event({"type": "app_home_opened", "user": CONVENOR, "tab": "home", "channel": "D9"})
    assert "Check-in settings" in str(kettle.fake.home(CONVENOR))


def test_ledger_rows_record_every_send(kettle: Kettle) -> None:
    tick(utc(2026, 3, 30, 14, 0))
    with kettle.db() as session:
        rows = session.scalars(select(Delivery).where(Delivery.key.like("checkin:%"))).all()
    assert len(rows) == 3 and all(r.status == DeliveryStatus.SENT and r.message_ts for r in rows)
    assert COP not in {r.channel for r in rows}


def test_a_retried_form_is_confirmed_once(kettle: Kettle) -> None:
    """Slack's retry of a check-in, a pause or the settings (the same submission, signed
    again with retry headers) keeps what it kept and confirms it once."""
    kettle.command(MEMBER, "/checkin")
    view = kettle.fake.last_view()
    assert view is not None
    answer = kettle.signer.view_submission(
        MEMBER,
        view,
        build_state_values(view, {CheckinIds.MOOD: "4", CheckinIds.VISIBILITY: "private"}),
    )
    kettle.click(MEMBER, CheckinIds.PAUSE_BUTTON, value="2026-W14")
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == CheckinIds.PAUSE_MODAL
    future = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    pause = kettle.signer.view_submission(
        MEMBER, view, build_state_values(view, {CheckinIds.PAUSE_UNTIL: future})
    )
    kettle.command(CONVENOR, "/checkin", "settings")
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == CheckinIds.SETTINGS_MODAL
    answers = {
        CheckinIds.SETTINGS_WEEKDAY: "2",
        CheckinIds.SETTINGS_TIME: "14:15",
        CheckinIds.SETTINGS_REMINDER: "24",
        CheckinIds.SETTINGS_WINDOW: "72",
        CheckinIds.SETTINGS_ENABLED: [CheckinIds.SETTINGS_ENABLED_YES.value],
    }
    settings = kettle.signer.view_submission(CONVENOR, view, build_state_values(view, answers))
    for request in (answer, pause, settings):
        assert kettle.send(request).status == 200
        assert kettle.send(kettle.signer.retry(request)).status == 200

    def said(user: str, words: str) -> int:
        return sum(1 for m in kettle.fake.dm_messages(user) if words in str(m.get("text")))

    assert said(MEMBER, "Thank you for checking in") == 1
    assert said(MEMBER, "Check-ins are paused until") == 1
    assert said(CONVENOR, "Check-ins go out every Wednesday at 14:15") == 1
    with kettle.db() as session:
        assert len(session.scalars(select(Checkin)).all()) == 1
        assert session.scalars(select(CheckinPause)).one().until.isoformat() == future
