"""/meeting end to end: signed requests in, the minute tick with controlled time, the fake Slack out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot import runtime
from bot.builders.ids import MeetingIds
from bot.delivery import PostRateLimiter, Sender
from bot.models import Meeting, MeetingPulse, MeetingStatus
from bot.schedules import meetings as schedule
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2, OUTSIDER
from tests.harness import Kettle, select_value, state, text_value

START = datetime(2031, 1, 7, 18, 0, tzinfo=UTC)  # first Tuesday of January 2031, 18:00 London


def form_values(
    *,
    title: str = "Monthly get-together <!channel>",
    day: str = "2031-01-07",
    start: str = "18:00",
    duration: str = "90",
    url: str = "https://meet.example/cop",
    repeat: str = "monthly",
) -> dict:
    return state(
        **{
            MeetingIds.TITLE: text_value(title),
            MeetingIds.DAY: {"type": "datepicker", "selected_date": day},
            MeetingIds.START: {"type": "timepicker", "selected_time": start},
            MeetingIds.DURATION: select_value(duration),
            MeetingIds.VIDEO_URL: {"type": "url_text_input", "value": url},
            MeetingIds.AGENDA: text_value("Stories, then a problem to solve"),
            MeetingIds.CHANNEL: {"type": "conversations_select", "selected_conversation": COP},
            MeetingIds.REPEAT: select_value(repeat),
        }
    )


def plan(kettle: Kettle, **values: str) -> dict:
    kettle.command(CONVENOR, "/meeting")
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == MeetingIds.MODAL
    reply = kettle.submit(CONVENOR, view, form_values(**values))
    assert reply.status == 200 and not reply.text
    posts = [m for m in kettle.fake.messages(COP) if m.get("thread_ts", m["ts"]) == m["ts"]]
    return posts[-1]


def meeting_id(kettle: Kettle) -> int:
    with kettle.db() as session:
        return session.scalars(select(Meeting.id)).one()


def dm_texts(kettle: Kettle, user: str) -> list[str]:
    return [m.get("text", "") for m in kettle.fake.dm_messages(user)]


def tick(kettle: Kettle, now: datetime) -> int:
    return schedule.run_tick(runtime.current(), now)


def click_on(kettle: Kettle, user: str, post: dict, action_id: str, channel: str = COP) -> None:
    button = next(
        e
        for b in post["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    )
    action = {"action_id": action_id, "block_id": "b", "type": "button", "value": button["value"]}
    request = kettle.signer.block_actions(
        user,
        actions=[action],
        trigger_id=kettle.fake.issue_trigger_id(),
        message={"ts": post["ts"], "channel": channel},
        response_url=kettle.fake.new_response_url(),
    )
    kettle.send(request)


def test_only_convenors_plan_meetings(kettle: Kettle) -> None:
    member = kettle.command(MEMBER, "/meeting")
    outsider = kettle.command(OUTSIDER, "/meeting")
    assert "convenor" in member.json["text"]
    assert "ask one of the convenors" in outsider.json["text"]
    assert kettle.fake.views_opened == []
    kettle.command(CONVENOR, "/meeting")
    view = kettle.fake.last_view()
    assert view is not None
    forged = kettle.submit(MEMBER, view, form_values())
    assert forged.json["response_action"] == "update"
    with kettle.db() as session:
        assert session.scalar(select(func.count()).select_from(Meeting)) == 0


def test_form_errors_name_the_fields(kettle: Kettle) -> None:
    kettle.command(CONVENOR, "/meeting")
    view = kettle.fake.last_view()
    assert view is not None
    reply = kettle.submit(CONVENOR, view, form_values(day="2020-01-01", url="zoom"))
    assert reply.json["response_action"] == "errors"
    assert set(reply.json["errors"]) == {MeetingIds.DAY, MeetingIds.VIDEO_URL}


def test_post_rsvp_calendar_and_list(kettle: Kettle) -> None:
    post = plan(kettle)
    stamp = int(START.timestamp())
    text = str(post["blocks"])
    assert f"<!date^{stamp}^{{date_long_pretty}} at {{time}}|Tue 7 Jan 2031, 18:00 GMT>" in text
    mrkdwn = str([b for b in post["blocks"] if b["type"] != "header"]) + post["text"]
    assert "<!channel>" not in mrkdwn and "monthly on the first Tuesday" in text
    assert any("Posted" in t for t in dm_texts(kettle, CONVENOR))

    # A retry of the same submission posts nothing new.
    view = kettle.fake.last_view()
    assert view is not None
    click_on(kettle, MEMBER, post, MeetingIds.RSVP_GOING)
    click_on(kettle, MEMBER2, post, MeetingIds.RSVP_DECLINED)
    click_on(kettle, OUTSIDER, post, MeetingIds.RSVP_GOING)
    updated = kettle.fake.messages(COP)[0]
    assert "1 going" in str(updated["blocks"]) and "1 can't make it" in str(updated["blocks"])
    assert "Amina" in str(updated["blocks"]) and "Olly" not in str(updated["blocks"])

    click_on(kettle, MEMBER, post, MeetingIds.CALENDAR)
    (upload,) = kettle.fake.calls_to("files.completeUploadExternal")
    file_id = kettle.fake.calls_to("files.getUploadURLExternal")[0]
    assert file_id["filename"].endswith(".ics")
    content = next(iter(kettle.fake.file_contents.values())).decode()
    assert "BEGIN:VEVENT" in content and "DTSTART:20310107T180000Z" in content
    assert upload["channel_id"] == kettle.fake.dm_channel_for(MEMBER)

    listing = kettle.command(MEMBER, "/meeting", "list")
    assert "Monthly get-together" in str(listing.json["blocks"])
    assert MeetingIds.EDIT not in str(listing.json["blocks"])
    convenor_listing = kettle.command(CONVENOR, "/meeting", "list")
    assert MeetingIds.EDIT in str(convenor_listing.json["blocks"])
    kettle.event({"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D1"})
    assert "Monthly get-together" in str(kettle.fake.home(MEMBER))


def test_reminders_tea_pulse_and_summary_exactly_once(kettle: Kettle) -> None:
    post = plan(kettle)
    click_on(kettle, MEMBER, post, MeetingIds.RSVP_GOING)
    click_on(kettle, MEMBER2, post, MeetingIds.RSVP_DECLINED)
    moments = [
        START - timedelta(hours=23),
        START - timedelta(minutes=50),
        START + timedelta(minutes=2),
        START + timedelta(minutes=46),
        START + timedelta(minutes=95),
    ]
    for now in moments:
        tick(kettle, now)
        assert tick(kettle, now) == 0  # a second tick at the same moment sends nothing
    # A restarted process (fresh sender, same database) sends nothing twice either.
    fresh = Sender(kettle.client, kettle.session_factory, limiter=PostRateLimiter(0))
    rt = runtime.current()
    restarted = runtime.Runtime(rt.settings, rt.engine, rt.session_factory, rt.client, fresh)
    for now in moments:
        assert schedule.run_tick(restarted, now) == 0

    member_dms = dm_texts(kettle, MEMBER)
    assert sum("Tomorrow" in t for t in member_dms) == 1
    assert sum("In about an hour" in t for t in member_dms) == 1
    assert sum("starting now" in t and "https://meet.example/cop" in t for t in member_dms) == 1
    assert sum("How was today" in t for t in member_dms) == 1
    assert not any("Tomorrow" in t for t in dm_texts(kettle, MEMBER2))  # declined
    assert sum("Tomorrow" in t for t in dm_texts(kettle, CONVENOR)) == 1

    thread = [
        m
        for m in kettle.fake.messages(COP)
        if m.get("thread_ts") == post["ts"] and m["ts"] != post["ts"]
    ]
    assert len(thread) == 1 and ":" in thread[0]["text"]

    # The pulse: a score, then a note; the convenor's summary has no names.
    dm = kettle.fake.dm_channel_for(MEMBER)
    pulse = next(m for m in kettle.fake.dm_messages(MEMBER) if "How was today" in m["text"])
    click_on(kettle, MEMBER, pulse, f"{MeetingIds.PULSE_SCORE}_4", channel=dm)
    click_on(kettle, OUTSIDER, pulse, f"{MeetingIds.PULSE_SCORE}_1", channel=dm)
    thanked = next(m for m in kettle.fake.messages(dm) if m["ts"] == pulse["ts"])
    assert "gave" in str(thanked["blocks"])
    click_on(kettle, MEMBER, pulse, MeetingIds.PULSE_NOTE, channel=dm)
    note_view = kettle.fake.last_view()
    assert note_view is not None and note_view["callback_id"] == MeetingIds.NOTE_MODAL
    kettle.submit(MEMBER, note_view, state(**{MeetingIds.NOTE: text_value("More tea please")}))
    with kettle.db() as session:
        (row,) = session.scalars(select(MeetingPulse)).all()
        assert (row.score, row.note) == (4, "More tea please")

    tick(kettle, START + timedelta(hours=26))
    tick(kettle, START + timedelta(hours=27))
    summaries = [t for t in dm_texts(kettle, CONVENOR) if "answered the pulse" in t]
    assert len(summaries) == 1
    # One answer is too few to show without pointing at the one who gave it.
    assert "too few" in summaries[0] and "More tea please" not in summaries[0]
    assert "Amina" not in summaries[0]

    # The next month: the post moves on to February's date.
    tick(kettle, START + timedelta(days=3))
    refreshed = kettle.fake.messages(COP)[0]
    assert "Tue 4 Feb 2031" in str(refreshed["blocks"]) and "0 going" in str(refreshed["blocks"])


def test_edit_moves_reminders_and_cancel_stops_them(kettle: Kettle) -> None:
    post = plan(kettle, repeat="none")
    mid = meeting_id(kettle)
    kettle.command(CONVENOR, "/meeting", f"edit {mid}")
    view = kettle.fake.last_view()
    assert view is not None
    day_block = next(b for b in view["blocks"] if b.get("block_id") == MeetingIds.DAY)
    assert day_block["element"]["initial_date"] == "2031-01-07"
    kettle.submit(CONVENOR, view, form_values(day="2031-01-08", start="19:30", repeat="none"))
    updated = kettle.fake.messages(COP)[0]
    assert updated["ts"] == post["ts"] and "edited" in updated
    assert "Wed 8 Jan 2031, 19:30 GMT" in str(updated["blocks"])
    tick(kettle, START - timedelta(hours=23))  # the old time: nothing
    assert not any("Tomorrow" in t for t in dm_texts(kettle, MEMBER))
    new_start = datetime(2031, 1, 8, 19, 30, tzinfo=UTC)
    tick(kettle, new_start - timedelta(hours=23))
    assert sum("Tomorrow" in t for t in dm_texts(kettle, MEMBER)) == 1

    member = kettle.command(MEMBER, "/meeting", f"cancel {mid}")
    assert "convenor" in member.json["text"]
    kettle.command(CONVENOR, "/meeting", f"cancel {mid}")
    with kettle.db() as session:
        assert session.get(Meeting, mid).status == MeetingStatus.CANCELLED  # type: ignore[union-attr]
    assert "cancelled" in str(kettle.fake.messages(COP)[0]["blocks"])
    tick(kettle, new_start - timedelta(minutes=30))
    tick(kettle, new_start + timedelta(minutes=1))
    assert not any("hour" in t or "starting" in t for t in dm_texts(kettle, MEMBER))


def test_cancel_button_is_for_convenors_only(kettle: Kettle) -> None:
    plan(kettle, repeat="none")
    mid = meeting_id(kettle)
    kettle.click(MEMBER, MeetingIds.CANCEL, value=str(mid))
    with kettle.db() as session:
        assert session.get(Meeting, mid).status == MeetingStatus.SCHEDULED  # type: ignore[union-attr]
    kettle.click(CONVENOR, MeetingIds.CANCEL, value=str(mid))
    with kettle.db() as session:
        assert session.get(Meeting, mid).status == MeetingStatus.CANCELLED  # type: ignore[union-attr]
