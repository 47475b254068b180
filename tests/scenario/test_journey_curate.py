"""Curating the group as real people do it: long answers, emoji and other scripts, odd typing,
double clicks, forwarded buttons, people leaving mid-way, convenors far from London."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from bot.builders.ids import MembershipIds
from bot.models import Decision, DecisionKind
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2, OUTSIDER
from tests.fakeslack.blockkit import validate_blocks
from tests.fakeslack.signing import build_state_values
from tests.harness import Kettle
from tests.scenario.test_membership import (
    ANSWERS,
    answers_by_block,
    application_id,
    apply,
    decide,
    member_of,
    open_review,
    texts,
)


def long_answers(tag: str) -> dict[str, Any]:
    return {
        **ANSWERS,
        "role": f"Coordinatrice {tag}, Réseau des Entreprises Communautaires 🌱"[:200],
        "commitment": ("I write up what we learn for everyone. " * 40)[:1480] + " END-COMMIT",
        "give": ("Stories about growing membership. " * 45)[:1480] + " END-GIVE",
        "get": ("Peers to think with, 同僚と考える. " * 50)[:1480] + " END-GET",
    }


def test_a_long_application_is_read_in_full_by_the_convenor(kettle: Kettle) -> None:
    apply(kettle, answers=long_answers("Zoë"))
    view = open_review(kettle, application_id(kettle))
    shown = json.dumps(view, ensure_ascii=False)
    for end in ("END-COMMIT", "END-GIVE", "END-GET", "同僚", "🌱"):
        assert end in shown, end
    assert "How the group's mix would change" in shown


def test_pings_in_answers_and_names_stay_quiet(kettle: Kettle) -> None:
    kettle.fake.add_user(OUTSIDER, "<!channel> Олег 🫖")
    answers = {**ANSWERS, "role": "Boss <!here> of <@UCONV> & co", "give": "@channel everything"}
    apply(kettle, answers=answers)
    told = texts(kettle.fake.dm_messages(CONVENOR))
    assert "<!channel>" not in told and "Олег 🫖" in told
    view = open_review(kettle, application_id(kettle))
    shown = json.dumps(view, ensure_ascii=False)
    assert "<!here>" not in shown and "<@UCONV> &" not in shown and "&lt;!here&gt;" in shown


def test_a_multi_line_reason_reads_well_in_the_applicants_dm(kettle: Kettle) -> None:
    apply(kettle)
    view = open_review(kettle, application_id(kettle))
    decide(kettle, view, "declined", "We need people running a network today.\n\nDo apply again!")
    dm = kettle.fake.dm_messages(OUTSIDER)[-1]["text"]
    assert "running a network today" in dm and "apply again" in dm
    # Slack's _italics_ do not span lines: each line is formatted on its own.
    for line in dm.splitlines():
        assert line.count("_") % 2 == 0, line


def test_commands_typed_with_capitals_and_odd_spacing(kettle: Kettle) -> None:
    assert "room for 5" in kettle.command(CONVENOR, "/cop", "  Capacity   5 ").json["text"]
    reply = kettle.command(CONVENOR, "/cop", f"CONVENOR  Appoint   <@{MEMBER}|amina>")
    assert "now a convenor" in reply.json["text"]
    reply = kettle.command(CONVENOR, "/cop", f"convenor stand-down <@{MEMBER}>")
    assert "stood down" in reply.json["text"]
    kettle.command(OUTSIDER, "/cop", " JOIN")
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == MembershipIds.APPLY_MODAL


def test_two_apply_forms_from_a_double_click_make_one_application(kettle: Kettle) -> None:
    kettle.click(OUTSIDER, MembershipIds.APPLY_BUTTON)
    first = kettle.fake.last_view()
    kettle.click(OUTSIDER, MembershipIds.APPLY_BUTTON)
    second = kettle.fake.last_view()
    assert first is not None and second is not None and first["id"] != second["id"]
    kettle.submit(OUTSIDER, first, build_state_values(first, answers_by_block(ANSWERS)))
    reply = kettle.submit(OUTSIDER, second, build_state_values(second, answers_by_block(ANSWERS)))
    assert "with the convenors" in json.dumps(reply.json)
    assert (
        len([m for m in kettle.fake.dm_messages(CONVENOR) if "new application" in m["text"]]) == 1
    )


def test_forget_pressed_twice_or_by_an_outsider_from_a_forwarded_message(kettle: Kettle) -> None:
    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    kettle.click(OUTSIDER, MembershipIds.FORGET_KEEP_BUTTON, channel="D2")
    with kettle.db() as session:
        forgotten = session.scalar(
            select(func.count())
            .select_from(Decision)
            .where(Decision.kind == DecisionKind.FORGOTTEN)
        )
    assert forgotten == 1
    said = [r["text"] for r in kettle.fake.responses]
    assert any("forgotten you" in s for s in said)
    assert sum("holds nothing" in s for s in said) == 2
    assert not any("0 stories" in s or "1 stories" in s for s in said)


def test_a_member_removed_while_editing_their_profile_cannot_save_it(kettle: Kettle) -> None:
    kettle.command(MEMBER, "/cop", "profile")
    view = kettle.fake.last_view()
    assert view is not None
    kettle.command(CONVENOR, "/cop", f"remove <@{MEMBER}> The network closed.")
    reply = kettle.submit(MEMBER, view, build_state_values(view, answers_by_block(ANSWERS)))
    assert reply.json["response_action"] == "update"
    assert member_of(kettle, MEMBER) is None


def test_a_stale_review_card_says_it_was_decided(kettle: Kettle) -> None:
    apply(kettle)
    app_id = application_id(kettle)
    decide(kettle, open_review(kettle, app_id), "approved", "Welcome!")
    opened = len(kettle.fake.views_opened)
    kettle.click("UCONV", MembershipIds.REVIEW_BUTTON, value=str(app_id), channel="D1")
    assert len(kettle.fake.views_opened) == opened
    assert "already been decided" in texts(kettle.fake.responses)


def test_a_full_directory_shows_everyone_and_the_mix(kettle: Kettle) -> None:
    kettle.command(CONVENOR, "/cop", "capacity 40")
    people = [f"UP{i:02d}" for i in range(30)]
    for i, user in enumerate(people):
        kettle.fake.add_user(user, f"Person {i} 🌻")
        kettle.fake.set_members(COP, [*kettle.fake.members_of(COP), user])
        kettle.event({"type": "member_joined_channel", "user": user, "channel": COP})
        kettle.command(user, "/cop", "profile")
        view = kettle.fake.last_view()
        assert view is not None
        answers = answers_by_block({**ANSWERS, "role": ("Director of things " * 12)[:200]})
        answers[MembershipIds.SHOW] = [MembershipIds.SHOW_YES.value]
        kettle.submit(user, view, build_state_values(view, answers))
    reply = kettle.command(MEMBER2, "/cop", "members").json
    shown = json.dumps(reply, ensure_ascii=False)
    for user in people:
        assert f"<@{user}>" in shown, user
    assert "The group's mix" in shown and "Wales" in shown
    assert validate_blocks(reply.get("blocks") or []) == []


def test_the_log_shows_times_in_each_convenors_own_time_zone(kettle: Kettle) -> None:
    kettle.fake.add_user(CONVENOR, "Esther", tz="Pacific/Auckland")
    apply(kettle)
    decide(kettle, open_review(kettle, application_id(kettle)), "waitlisted")
    log = kettle.command(CONVENOR, "/cop", "log").json["text"]
    assert "<!date^" in log and "Olly waitlisted by Esther" in log


def test_a_busy_review_queue_says_how_many_more_are_waiting(kettle: Kettle) -> None:
    applicants = [f"UA{i:02d}" for i in range(11)]
    for i, user in enumerate(applicants):
        kettle.fake.add_user(user, f"Applicant {i}")
        apply(kettle, user=user)
    blocks = kettle.command(CONVENOR, "/cop", "review").json["blocks"]
    shown = json.dumps(blocks)
    assert "11 waiting" in shown and "3 more" in shown
    assert validate_blocks(blocks) == []


def test_an_applicant_who_asks_to_be_forgotten_leaves_the_convenors_queue(kettle: Kettle) -> None:
    apply(kettle)
    assert "Olly" in json.dumps(kettle.fake.home(CONVENOR))
    kettle.click(OUTSIDER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    assert "Olly" not in json.dumps(kettle.fake.home(CONVENOR))
    assert "No applications are waiting" in json.dumps(kettle.fake.home(CONVENOR))


def test_when_a_member_leaves_the_convenors_see_the_room_it_makes(kettle: Kettle) -> None:
    kettle.command(CONVENOR, "/cop", "capacity 2")
    kettle.event({"type": "app_home_opened", "user": CONVENOR, "tab": "home", "channel": "D9"})
    assert "2 of 2 places taken" in json.dumps(kettle.fake.home(CONVENOR))
    kettle.click(MEMBER, MembershipIds.LEAVE_BUTTON, channel="D1")
    assert "1 of 2 places taken" in json.dumps(kettle.fake.home(CONVENOR))


def test_when_a_place_opens_the_convenors_hear_of_the_waitlist_once(kettle: Kettle) -> None:
    kettle.command(CONVENOR, "/cop", "capacity 2")
    apply(kettle)
    decide(kettle, open_review(kettle, application_id(kettle)), "approved", "Lovely to have you.")
    told = kettle.fake.dm_messages(OUTSIDER)[-1]["text"]
    assert "waitlist" in told and "convenors are told when a place opens" in told
    assert "1 waiting on the waitlist" in kettle.command(CONVENOR, "/cop", "capacity").json["text"]

    kettle.click(MEMBER, MembershipIds.LEAVE_BUTTON, channel="D1")
    # Slack then reports that they left the channel: the convenor is not told twice.
    kettle.event({"type": "member_left_channel", "user": MEMBER, "channel": COP})
    opened = [m for m in kettle.fake.dm_messages(CONVENOR) if "A place has opened" in m["text"]]
    assert len(opened) == 1 and "1 of 2 taken" in opened[0]["text"]
    assert "1 waiting" in opened[0]["text"]

    decide(kettle, open_review(kettle, application_id(kettle)), "approved")
    assert member_of(kettle, OUTSIDER) is not None
    # A full group again: someone leaving the channel with no waitlist tells no one.
    kettle.event({"type": "member_left_channel", "user": MEMBER2, "channel": COP})
    opened = [m for m in kettle.fake.dm_messages(CONVENOR) if "A place has opened" in m["text"]]
    assert len(opened) == 1


def test_an_applicant_far_from_london_takes_their_data_and_convenors_read_local_dates(
    kettle: Kettle,
) -> None:
    kettle.fake.add_user(OUTSIDER, "Aroha", tz="Pacific/Auckland")
    apply(kettle)
    card = json.dumps(kettle.fake.home(CONVENOR))
    assert "<!date^" in card and "applied" in card
    assert "<!date^" in json.dumps(open_review(kettle, application_id(kettle)))
    assert "direct messages" in kettle.command(OUTSIDER, "/cop", "mydata").json["text"]
    upload = kettle.fake.dm_messages(OUTSIDER)[-1]
    data = json.loads(kettle.fake.file_bytes(upload["files"][0]["id"]) or b"{}")
    assert data["member"] is None and data["applications"][0]["status"] == "pending"
    assert data["applications"][0]["answers"]["region"] == "wales"
