"""Two CoPs in one workspace, from every entry point: a member of A cannot see or act on B, a
member of both sees both, each in its place, and a request that cannot say which CoP asks.

A is the CoP the environment seeds (People's CoP in C0COP: Esther convenes, Amina and Rohan are
members). B is set up from Slack with `/cop setup` (Carers cop in C0BCOP: Bea convenes, Amina
and Bo are members). Amina belongs to both; Rohan to A only; Bo to B only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import runtime
from bot.builders.ids import (
    CheckinIds,
    CommunityIds,
    HomeIds,
    KnowledgeIds,
    MeetingIds,
    MembershipIds,
    PairingIds,
    RoundIds,
    StoryIds,
)
from bot.models import (
    Application,
    Checkin,
    LearningSet,
    MeetingRsvp,
    Member,
    PairingGroup,
    PairingRound,
    Pick,
    Round,
    RoundContribution,
    Story,
    StoryFile,
)
from bot.schedules import knowledge as knowledge_schedule
from bot.schedules import pairing as pairing_schedule
from bot.schedules.checkins import run_tick
from bot.services import checkins, membership
from bot.services.knowledge.export import render
from tests.conftest import CONVENOR, COP, GENERAL, MEMBER, MEMBER2, MOVEMENT, OUTSIDER
from tests.fakeslack.signing import build_state_values
from tests.harness import Kettle, checkbox_values, select_value, state, text_value
from tests.scenario.test_knowledge import dm_click, file_event
from tests.scenario.test_meetings import form_values
from tests.scenario.test_membership import ANSWERS, answers_by_block
from tests.scenario.test_stories import story_values

ADMIN = "UADMIN"
CONVENOR_B = "UCONVB"
B_ONLY = "UBONLY"
B_COP = "C0BCOP"
BOTH = MEMBER  # Amina


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def ids(kettle: Kettle) -> tuple[int, int]:
    with kettle.db() as session:
        a = membership.community_for_channel(session, COP)
        b = membership.community_for_channel(session, B_COP)
        assert a is not None and b is not None
        return a.id, b.id


@pytest.fixture
def two(kettle: Kettle) -> Kettle:
    """A seeded by the environment, B set up from Slack by a workspace admin."""
    fake = kettle.fake
    fake.add_user(ADMIN, "Ada", tz="Europe/London", is_admin=True)
    fake.add_user(CONVENOR_B, "Bea", tz="Europe/Berlin")
    fake.add_user(B_ONLY, "Bo", tz="Europe/Dublin")
    fake.add_channel(
        B_COP, "carers-cop", is_private=True, members=[ADMIN, CONVENOR_B, BOTH, B_ONLY]
    )
    kettle.command(ADMIN, "/cop", "setup", channel=B_COP)
    view = fake.last_view()
    assert view is not None and view["callback_id"] == CommunityIds.SETUP_MODAL
    values = build_state_values(
        view, {CommunityIds.SETUP_MOVEMENT: MOVEMENT, CommunityIds.SETUP_CONVENORS: [CONVENOR_B]}
    )
    assert kettle.submit(ADMIN, view, values).status == 200
    with kettle.db() as session:
        a, b = ids(kettle)
        assert set(membership.convenor_ids(session, a)) == {CONVENOR}
        assert set(membership.convenor_ids(session, b)) == {CONVENOR_B}
        in_b = {m.user_id for m in membership.active_members(session, b)}
        assert in_b == {ADMIN, CONVENOR_B, BOTH, B_ONLY}
    return kettle


def said(reply: Any) -> str:
    assert reply.status == 200
    return str((reply.json or {}).get("text", ""))


# -- commands ------------------------------------------------------------------------------


def test_commands_are_for_the_cop_whose_channel_they_are_run_in(two: Kettle) -> None:
    # Capacity: each CoP counts its own members; a convenor sets only their own.
    assert "2 taken" in said(two.command(CONVENOR, "/cop", "capacity", channel=COP))
    assert "3 taken" in said(two.command(CONVENOR_B, "/cop", "capacity 5", channel=B_COP))
    a, b = ids(two)
    with two.db() as session:
        cop_a, cop_b = (
            membership.community_by_id(session, a),
            membership.community_by_id(session, b),
        )
        assert cop_a is not None and cop_b is not None
        assert membership.capacity(cop_b) == 5 and membership.capacity(cop_a) == 13
    # A convenor of A is not a convenor of B (nor a member); a member of B is not a convenor.
    assert "for its members" in said(two.command(CONVENOR, "/cop", "capacity 9", channel=B_COP))
    assert "Only a convenor" in said(two.command(BOTH, "/cop", "review", channel=B_COP))
    # Bea, convenor of B, is an outsider to A even in A's channel.
    assert "for its members" in said(two.command(CONVENOR_B, "/cop", "review", channel=COP))
    # A member of A only is an outsider to B.
    assert "for its members" in said(two.command(MEMBER2, "/cop", "profile", channel=B_COP))


def test_where_a_request_cannot_say_which_cop_kettle_asks(two: Kettle) -> None:
    # Amina, in both, outside both channels: asked, never given the first.
    asked = said(two.command(BOTH, "/cop", "capacity", channel=GENERAL))
    assert "more than one Community of Practice" in asked
    assert "People's CoP" in asked and "Carers cop" in asked
    assert "more than one" in said(two.command(BOTH, "/cop", "mydata", channel=GENERAL))
    assert "more than one" in said(two.command(BOTH, "/story", "search volunteers"))
    helped = said(two.command(BOTH, "/cop", "help", channel=GENERAL))
    assert "`/cop members`" in helped and "`/cop review`" not in helped
    # Rohan, in A only, needs no channel: his one CoP answers.
    rohan = said(two.command(MEMBER2, "/cop", "members", channel=GENERAL))
    assert rohan and "more than one" not in rohan and "for its members" not in rohan
    # Someone in neither, where there are two, is shown how to see each.
    outsider = said(two.command(OUTSIDER, "/cop", "join", channel=GENERAL))
    assert "more than one Community of Practice" in outsider and "App Home" in outsider


# -- App Home ------------------------------------------------------------------------------


def open_home(kettle: Kettle, user: str) -> dict[str, Any]:
    kettle.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"})
    home = kettle.fake.home(user)
    assert home is not None
    return home


def parts(home: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The home's blocks by the CoP they are marked for ("cop<id>." block ids)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for block in home["blocks"]:
        head = block["block_id"].split(".", 1)[0]
        out.setdefault(head, []).append(block)
    return out


def share_story(kettle: Kettle, user: str, title: str, channel: str, **kw: Any) -> Any:
    kettle.command(user, "/story", channel=channel)
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == StoryIds.MODAL
    values = story_values(title=title, **kw)
    return kettle.submit(user, view, values)


def test_the_app_home_has_a_part_per_cop_and_each_shows_only_its_own(two: Kettle) -> None:
    a, b = ids(two)
    share_story(two, B_ONLY, "Respite rota that worked", B_COP)
    share_story(two, MEMBER2, "Volunteer week", COP)
    home = open_home(two, BOTH)
    by_cop = parts(home)
    assert set(by_cop) == {f"cop{a}", f"cop{b}"}
    a_text, b_text = dumps(by_cop[f"cop{a}"]), dumps(by_cop[f"cop{b}"])
    assert "Welcome to People's CoP" in a_text and "Welcome to Carers cop" in b_text
    assert "Volunteer week" in a_text and "Volunteer week" not in b_text
    assert "Respite rota" in b_text and "Respite rota" not in a_text

    # Rohan (A only) sees A as a member and B as an outsider: B's stories are not his to see.
    rohan = parts(open_home(two, MEMBER2))
    assert "Welcome to People's CoP" in dumps(rohan[f"cop{a}"])
    outside = dumps(rohan[f"cop{b}"])
    assert "Kettle · Carers cop" in outside and "Respite rota" not in outside
    assert MembershipIds.APPLY_BUTTON in outside

    # The Share button in B's part opens a form for B; its story goes to B alone.
    share = next(
        blk
        for blk in by_cop[f"cop{b}"]
        if (blk.get("accessory") or {}).get("action_id") == HomeIds.SHARE_STORY
    )
    two.click(BOTH, HomeIds.SHARE_STORY, block_id=share["block_id"])
    view = two.fake.last_view()
    assert view is not None and view["callback_id"] == StoryIds.MODAL
    assert json.loads(view["private_metadata"])["community_id"] == b
    two.submit(BOTH, view, story_values(title="From the home of B"))
    with two.db() as session:
        story = session.scalars(select(Story).where(Story.title == "From the home of B")).one()
        assert story.community_id == b


# -- stories and the library ---------------------------------------------------------------


def test_a_member_of_both_chooses_where_a_story_goes(two: Kettle) -> None:
    a, b = ids(two)
    two.command(BOTH, "/story", channel=GENERAL)
    view = two.fake.last_view()
    assert view is not None
    choice = next(blk for blk in view["blocks"] if blk.get("block_id") == CommunityIds.CHOICE)
    assert [o["value"] for o in choice["element"]["options"]] == [str(a), str(b)]
    values = story_values(title="Carers' circle", post=True)
    values[CommunityIds.CHOICE] = {"value": select_value(str(b))}
    reply = two.submit(BOTH, view, values)
    assert reply.status == 200 and not reply.text
    with two.db() as session:
        story = session.scalars(select(Story).where(Story.title == "Carers' circle")).one()
        assert story.community_id == b
        author = session.get(Member, story.author_id)
        assert author is not None and author.community_id == b
    # Posted in B's channel only.
    assert "Carers' circle" in dumps(two.fake.messages(B_COP))
    assert "Carers' circle" not in dumps(two.fake.messages(COP))
    # Without a choice, the form is not for any CoP: Kettle asks rather than picks.
    two.command(BOTH, "/story", channel=GENERAL)
    view = two.fake.last_view()
    assert view is not None
    reply = two.submit(BOTH, view, story_values(title="Nowhere"))
    assert "more than one Community of Practice" in dumps(reply.json)
    with two.db() as session:
        assert session.scalars(select(Story).where(Story.title == "Nowhere")).all() == []

    # A member of one CoP is not asked: the form has no choice and the story is A's.
    two.command(MEMBER2, "/story", channel=GENERAL)
    view = two.fake.last_view()
    assert view is not None
    assert all(blk.get("block_id") != CommunityIds.CHOICE for blk in view["blocks"])
    two.submit(MEMBER2, view, story_values(title="Rohan's story"))
    with two.db() as session:
        story = session.scalars(select(Story).where(Story.title == "Rohan's story")).one()
        assert story.community_id == a


def test_each_library_holds_only_its_own_stories(two: Kettle) -> None:
    share_story(two, B_ONLY, "Respite rota that worked", B_COP, themes="respite")
    share_story(two, MEMBER2, "Respite for organisers", COP, themes="respite")
    in_a = dumps(two.command(BOTH, "/story", "search respite", channel=COP).json)
    in_b = dumps(two.command(BOTH, "/story", "search respite", channel=B_COP).json)
    assert "Respite for organisers" in in_a and "Respite rota" not in in_a
    assert "Respite rota" in in_b and "Respite for organisers" not in in_b
    # Rohan cannot search B's library, even in B's channel.
    refused = said(two.command(MEMBER2, "/story", "search respite", channel=B_COP))
    assert "for its members" in refused


def test_a_file_sent_by_dm_becomes_a_story_of_the_cop_chosen(two: Kettle) -> None:
    _a, b = ids(two)
    clip = two.fake.add_file(BOTH, "clip.m4a", "audio/mp4", b"ID3 voice", "m4a")
    two.event(file_event(two, BOTH, clip, "Respite by voice"))
    with two.db() as session:
        (row,) = session.scalars(select(StoryFile)).all()
        file_id = row.id
    question = two.fake.dm_messages(BOTH)[-1]
    dm_click(two, BOTH, StoryIds.FILE_IS_STORY, str(file_id), question)
    view = two.fake.last_view()
    assert view is not None and view["callback_id"] == StoryIds.MODAL
    assert any(blk.get("block_id") == CommunityIds.CHOICE for blk in view["blocks"])
    values = story_values(title="Respite by voice")
    values[CommunityIds.CHOICE] = {"value": select_value(str(b))}
    assert two.submit(BOTH, view, values).status == 200
    with two.db() as session:
        story = session.scalars(select(Story).where(Story.title == "Respite by voice")).one()
        row = session.get(StoryFile, file_id)
        assert story.community_id == b
        assert row is not None and row.story_id == story.id and row.community_id == b


# -- check-ins, the convenor's summary -----------------------------------------------------


def checkin_dms(kettle: Kettle, user: str) -> list[dict[str, Any]]:
    return [
        m
        for m in kettle.fake.dm_messages(user)
        if (m.get("metadata") or {}).get("event_payload", {}).get("key", "").startswith("checkin:")
    ]


def test_check_ins_and_summaries_run_per_cop(two: Kettle) -> None:
    _a, b = ids(two)
    monday = datetime(2026, 3, 30, 14, 0, tzinfo=UTC)
    run_tick(runtime.current(), now=monday)
    # Amina gets one check-in per CoP, each naming its CoP; Bo only B's, Rohan only A's.
    amina = checkin_dms(two, BOTH)
    assert len(amina) == 2
    assert sorted("People's CoP" in m["text"] for m in amina) == [False, True]
    assert (
        len(checkin_dms(two, B_ONLY)) == 1 and "Carers cop" in checkin_dms(two, B_ONLY)[0]["text"]
    )
    assert (
        len(checkin_dms(two, MEMBER2)) == 1
        and "Carers cop" not in checkin_dms(two, MEMBER2)[0]["text"]
    )

    # Amina answers B's check-in from its DM button: the answer is B's.
    from_b = next(m for m in amina if "Carers cop" in m["text"])
    button_block = next(
        blk for blk in from_b["blocks"] if blk.get("block_id", "").endswith(CheckinIds.DM_ACTIONS)
    )
    week = button_block["elements"][0]["value"]
    two.click(BOTH, CheckinIds.OPEN_BUTTON, value=week, block_id=button_block["block_id"])
    view = two.fake.last_view()
    assert view is not None and view["callback_id"] == CheckinIds.MODAL
    values = build_state_values(
        view,
        {
            CheckinIds.MOOD: "2",
            CheckinIds.ON_MIND: "The respite grant",
            CheckinIds.VISIBILITY: "convenors",
        },
    )
    assert two.submit(BOTH, view, values).status == 200
    with two.db() as session:
        (answer,) = session.scalars(select(Checkin)).all()
        member = session.get(Member, answer.member_id)
        assert member is not None and member.community_id == b

    # Each CoP's convenor gets a summary of their own CoP only.
    with two.db() as session:
        cop_b = membership.community_by_id(session, b)
        assert cop_b is not None
        close = checkins.window_close(session, cop_b, week, "Europe/London")
    run_tick(runtime.current(), now=close + timedelta(hours=2))
    summary_a = [m for m in two.fake.dm_messages(CONVENOR) if "Check-ins for" in m["text"]]
    summary_b = [m for m in two.fake.dm_messages(CONVENOR_B) if "Check-ins for" in m["text"]]
    assert len(summary_a) == 1 and len(summary_b) == 1
    assert "Carers cop" in summary_b[0]["text"] and "People's CoP" in summary_a[0]["text"]
    assert "The respite grant" in dumps(summary_b[0]["blocks"])
    assert "The respite grant" not in dumps(summary_a[0]["blocks"])
    assert "*0* of 3 shared" in dumps(summary_a[0]["blocks"])


# -- knowledge: digests ----------------------------------------------------------------------


def story_id(kettle: Kettle, title: str) -> int:
    with kettle.db() as session:
        return session.scalars(select(Story.id).where(Story.title == title)).one()


def test_each_cop_gets_its_own_weekly_digest(two: Kettle) -> None:
    share_story(two, B_ONLY, "Respite rota that worked", B_COP)
    share_story(two, MEMBER2, "Volunteer week", COP)
    respite, volunteers = story_id(two, "Respite rota that worked"), story_id(two, "Volunteer week")
    # A convenor picks only from their own CoP's library.
    two.click(CONVENOR, KnowledgeIds.PICK, value=str(respite))
    two.click(CONVENOR_B, KnowledgeIds.PICK, value=str(volunteers))
    with two.db() as session:
        assert session.scalars(select(Pick)).all() == []
    two.click(CONVENOR, KnowledgeIds.PICK, value=str(volunteers))
    two.click(CONVENOR_B, KnowledgeIds.PICK, value=str(respite))
    before_a, before_b = len(two.fake.messages(COP)), len(two.fake.messages(B_COP))
    friday = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
    knowledge_schedule.tick(friday)
    knowledge_schedule.tick(friday)
    new_a = two.fake.messages(COP)[before_a:]
    new_b = two.fake.messages(B_COP)[before_b:]
    assert len(new_a) == 1 and len(new_b) == 1
    assert "Volunteer week" in dumps(new_a) and "Respite rota" not in dumps(new_a)
    assert "Respite rota" in dumps(new_b) and "Volunteer week" not in dumps(new_b)


# -- pairing ---------------------------------------------------------------------------------


def test_pairing_never_crosses_cops(two: Kettle) -> None:
    for user, channel in [
        (CONVENOR, COP),
        (MEMBER2, COP),
        (CONVENOR_B, B_COP),
        (B_ONLY, B_COP),
        (BOTH, B_COP),
    ]:
        assert "You're in" in said(two.command(user, "/cop", "pairing on", channel=channel))
    assert "more than one" in said(two.command(BOTH, "/cop", "pairing on", channel=GENERAL))
    a, b = ids(two)
    pairing_schedule.run_tick(runtime.current(), datetime(2031, 3, 3, 9, 30, tzinfo=UTC))
    with two.db() as session:
        rounds = session.scalars(
            select(PairingRound.community_id).join(
                PairingGroup, PairingGroup.round_id == PairingRound.id
            )
        ).all()
        assert sorted(rounds) == [a, b]
    calls = [sorted(c["users"].split(",")) for c in two.fake.calls_to("conversations.open")]
    assert sorted([CONVENOR, MEMBER2]) in calls
    assert sorted([BOTH, CONVENOR_B, B_ONLY]) in calls

    # A week on, "did you meet?" in B's group: Amina answers from it, and it is B's group.
    pairing_schedule.run_tick(runtime.current(), datetime(2031, 3, 10, 9, 31, tzinfo=UTC))
    with two.db() as session:
        group = session.scalars(
            select(PairingGroup)
            .join(PairingRound, PairingRound.id == PairingGroup.round_id)
            .where(PairingRound.community_id == b)
        ).one()
        channel, group_id = group.channel_id, group.id
    assert channel is not None
    followup = two.fake.messages(channel)[-1]
    block = next(blk for blk in followup["blocks"] if blk.get("type") == "actions")
    assert block["block_id"].startswith(f"cop{b}.")
    request = two.signer.block_actions(
        BOTH,
        actions=[
            {
                "action_id": PairingIds.MET_YES,
                "block_id": block["block_id"],
                "type": "button",
                "value": str(group_id),
            }
        ],
        message={"ts": followup["ts"], "channel": channel},
        response_url=two.fake.new_response_url(),
    )
    two.send(request)
    with two.db() as session:
        answered = session.get(PairingGroup, group_id)
        assert answered is not None and answered.met is True


# -- data rights and exports -----------------------------------------------------------------


def test_mydata_and_forget_me_are_per_cop(two: Kettle) -> None:
    a, b = ids(two)
    share_story(two, BOTH, "Amina in B", B_COP)
    share_story(two, BOTH, "Amina in A", COP)
    # mydata in B's channel is what B holds of her; nothing of A.
    assert "sending everything" in said(two.command(BOTH, "/cop", "mydata", channel=B_COP))
    upload = two.fake.dm_messages(BOTH)[-1]
    data_b = json.loads(two.fake.file_bytes(upload["files"][0]["id"]) or b"{}")
    assert data_b["community"] == "Carers cop"
    assert [s["title"] for s in data_b["stories"]] == ["Amina in B"]
    two.command(BOTH, "/cop", "mydata", channel=COP)
    upload = two.fake.dm_messages(BOTH)[-1]
    data_a = json.loads(two.fake.file_bytes(upload["files"][0]["id"]) or b"{}")
    assert data_a["community"] == "People's CoP"
    assert [s["title"] for s in data_a["stories"]] == ["Amina in A"]

    # Forget me in B: B forgets her; A still knows her and keeps her story.
    reply = two.command(BOTH, "/cop", "forget", channel=B_COP)
    blocks = reply.json["blocks"]
    delete = next(
        e
        for blk in blocks
        for e in (blk.get("elements") or [blk.get("accessory") or {}])
        if e.get("action_id") == MembershipIds.FORGET_DELETE_BUTTON
    )
    two.click(BOTH, MembershipIds.FORGET_DELETE_BUTTON, value=delete.get("value"), channel=B_COP)
    with two.db() as session:
        assert membership.get_member(session, b, BOTH) is None
        in_a = membership.get_member(session, a, BOTH)
        assert in_a is not None and in_a.is_active
        titles = {s.title for s in session.scalars(select(Story))}
    assert "Amina in A" in titles and "Amina in B" not in titles


def test_an_export_of_one_cop_holds_nothing_of_the_other(two: Kettle) -> None:
    a, b = ids(two)
    share_story(two, B_ONLY, "Respite rota that worked", B_COP, post=True)
    share_story(two, MEMBER2, "Volunteer week", COP, post=True)
    share_story(two, BOTH, "Amina's carers note", B_COP)  # thanked by DM: Amina is in both
    with two.db() as session:
        only_a = render(session, fmt="json", purpose="backup", community_id=a)
        only_b = render(session, fmt="json", purpose="backup", community_id=b)
    assert "Volunteer week" in only_a and "Respite rota" not in only_a
    assert "Respite rota" in only_b and "Volunteer week" not in only_b
    assert "carers note" not in only_a and "carers note" in only_b
    for of_b in (B_ONLY, CONVENOR_B, B_COP, "Carers cop"):
        assert f'"{of_b}"' not in only_a
    for of_a in (MEMBER2, CONVENOR, COP, "People's CoP"):
        assert f'"{of_a}"' not in only_b


# -- meetings and rounds -------------------------------------------------------------------


def test_meetings_are_planned_listed_and_answered_per_cop(two: Kettle) -> None:
    two.command(CONVENOR_B, "/meeting", channel=B_COP)
    view = two.fake.last_view()
    assert view is not None and view["callback_id"] == MeetingIds.MODAL
    channel = next(blk for blk in view["blocks"] if blk.get("block_id") == MeetingIds.CHANNEL)
    assert channel["element"].get("initial_conversation") == B_COP  # B meets in B's channel
    values = form_values(title="Carers' tea")
    values[MeetingIds.CHANNEL] = {
        "value": {"type": "conversations_select", "selected_conversation": B_COP}
    }
    assert two.submit(CONVENOR_B, view, values).status == 200
    # The convenor of A cannot plan in B, even from B's channel.
    assert "for its members" in said(two.command(CONVENOR, "/meeting", channel=B_COP))
    in_a = dumps(two.command(BOTH, "/meeting", "list", channel=COP).json)
    in_b = dumps(two.command(BOTH, "/meeting", "list", channel=B_COP).json)
    assert "Carers' tea" not in in_a and "Carers' tea" in in_b
    a, b = ids(two)
    home = parts(open_home(two, BOTH))
    assert "Carers' tea" in dumps(home[f"cop{b}"]) and "Carers' tea" not in dumps(home[f"cop{a}"])
    assert "Carers' tea" not in dumps(parts(open_home(two, MEMBER2)))
    # Rohan (A only) cannot answer B's invitation.
    post = next(m for m in two.fake.messages(B_COP) if "Carers' tea" in dumps(m))
    going = next(
        e
        for blk in post["blocks"]
        for e in blk.get("elements") or []
        if e.get("action_id") == MeetingIds.RSVP_GOING
    )
    two.click(MEMBER2, MeetingIds.RSVP_GOING, value=going["value"], channel=B_COP)
    with two.db() as session:
        assert session.scalars(select(MeetingRsvp)).all() == []
    two.click(BOTH, MeetingIds.RSVP_GOING, value=going["value"], channel=B_COP)
    with two.db() as session:
        (rsvp,) = session.scalars(select(MeetingRsvp)).all()
        member = session.get(Member, rsvp.member_id)
        assert member is not None and member.user_id == BOTH and member.community_id == ids(two)[1]


def test_rounds_run_in_their_own_cop(two: Kettle) -> None:
    two.command(CONVENOR_B, "/round", "ai caring well", channel=B_COP)
    view = two.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.AI_MODAL
    values = state(
        **{
            RoundIds.TOPIC: text_value("Caring well"),
            RoundIds.CHANNEL: {"type": "conversations_select", "selected_conversation": B_COP},
            RoundIds.MINUTES: {"type": "number_input", "value": "10"},
            RoundIds.ANONYMOUS: checkbox_values(),
        }
    )
    assert two.submit(CONVENOR_B, view, values).status == 200
    with two.db() as session:
        (round_,) = session.scalars(select(Round)).all()
        assert round_.community_id == ids(two)[1] and round_.channel_id == B_COP
        value = f"{round_.id}:{round_.phase_index}"
    assert "Caring well" in dumps(two.fake.messages(B_COP))
    assert "Caring well" not in dumps(two.fake.messages(COP))
    assert "Caring well" not in dumps(two.command(BOTH, "/round", "list", channel=COP).json)
    assert "Caring well" in dumps(two.command(BOTH, "/round", "list", channel=B_COP).json)
    a, b = ids(two)
    home = parts(open_home(two, BOTH))
    assert "Caring well" in dumps(home[f"cop{b}"]) and "Caring well" not in dumps(home[f"cop{a}"])
    # Rohan (A only) cannot contribute to B's round.
    two.click(MEMBER2, RoundIds.CONTRIBUTE, value=value, channel=B_COP)
    view = two.fake.last_view()
    assert view is None or view["callback_id"] != RoundIds.CONTRIBUTE_MODAL
    two.click(BOTH, RoundIds.CONTRIBUTE, value=value, channel=B_COP)
    view = two.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.CONTRIBUTE_MODAL
    reply = two.submit(BOTH, view, state(**{RoundIds.TEXT: text_value("Rest days")}))
    assert reply.status == 200
    with two.db() as session:
        (contribution,) = session.scalars(select(RoundContribution)).all()
        member = session.get(Member, contribution.member_id)
        assert member is not None and member.community_id == ids(two)[1]


def test_a_start_brings_each_cop_in_step_with_its_own_channel(two: Kettle) -> None:
    from bot.server import bootstrap_community

    _a, b = ids(two)
    two.fake.add_user("UNEWB", "Nell", tz="Europe/London")
    two.fake.set_members(B_COP, [*two.fake.members_of(B_COP), "UNEWB"])
    bootstrap_community(runtime.current())  # as `kettle serve` does at start
    with two.db() as session:
        assert membership.get_member(session, b, "UNEWB") is not None
        assert membership.communities_of(session, "UNEWB")[0].id == b


def test_someone_in_neither_applies_to_the_cop_whose_part_they_press_apply_in(two: Kettle) -> None:
    _a, b = ids(two)
    home = parts(open_home(two, OUTSIDER))
    assert len(home) == 2 and all("Kettle · " in dumps(blocks) for blocks in home.values())
    apply_block = next(
        blk
        for blk in home[f"cop{b}"]
        for e in blk.get("elements") or [blk.get("accessory") or {}]
        if e.get("action_id") == MembershipIds.APPLY_BUTTON
    )
    two.click(OUTSIDER, MembershipIds.APPLY_BUTTON, block_id=apply_block["block_id"])
    view = two.fake.last_view()
    assert view is not None and view["callback_id"] == MembershipIds.APPLY_MODAL
    values = build_state_values(view, answers_by_block(ANSWERS))
    assert two.submit(OUTSIDER, view, values).status == 200
    with two.db() as session:
        (application,) = session.scalars(select(Application)).all()
        assert application.community_id == b
    # Only B's convenor hears of it.
    assert any("Olly" in dumps(m) for m in two.fake.dm_messages(CONVENOR_B))
    assert not any("Olly" in dumps(m) for m in two.fake.dm_messages(CONVENOR))


# -- standing action-learning sets ----------------------------------------------------------


def test_a_standing_set_of_b_is_b_s_for_a_member_of_both(two: Kettle) -> None:
    """A set's forms remember their CoP; its DMs and its meeting's posts (in a group DM, which
    is no CoP's channel) say which CoP their buttons are for; and Amina, in both CoPs, is known
    in the set's group DM by the set's own CoP, so her advice earns her the coaching tip."""
    from tests.scenario.test_journey_als import confirm, dms, picked, say, user, users, volunteer
    from tests.scenario.test_rounds_ai import date_value, number
    from tests.scenario.test_rounds_sets import tick

    _a, b = ids(two)
    tag = f"{CommunityIds.TAG}{b}."
    two.command(CONVENOR_B, "/round", "set", channel=B_COP)
    view = two.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.SET_MODAL
    assert json.loads(view["private_metadata"])["community_id"] == b
    day = (datetime.now(UTC) + timedelta(days=7)).date()
    values = state(
        **{
            RoundIds.SET_NAME: text_value("Carers' set"),
            RoundIds.ADVISER: user(CONVENOR_B),
            RoundIds.MEMBERS: users(BOTH, B_ONLY, ADMIN),
            RoundIds.RHYTHM: picked("weekly"),
            RoundIds.DAY: date_value(day.isoformat()),
            RoundIds.TIME: {"type": "timepicker", "selected_time": "19:00"},
            RoundIds.MEETINGS: number("2"),
        }
    )
    reply = two.submit(CONVENOR_B, view, values)
    assert reply.status == 200 and not (reply.json or {}).get("errors"), reply.json
    with two.db() as session:
        set_ = session.scalars(select(LearningSet)).one()
        assert set_.community_id == b
        meeting_at, space = set_.next_meeting_at, set_.channel_id
    assert meeting_at is not None and space

    tick(meeting_at - timedelta(days=1))
    call = dms(two, BOTH, "Would you like to present")[-1]
    assert all(str(block["block_id"]).startswith(tag) for block in call["blocks"])
    actions = call["blocks"][1]
    two.click(
        BOTH,
        RoundIds.VOLUNTEER,
        value=actions["elements"][0]["value"],
        block_id=actions["block_id"],
    )
    offer = two.fake.last_view()
    assert offer is not None and offer["callback_id"] == RoundIds.OFFER_MODAL
    assert json.loads(offer["private_metadata"])["community_id"] == b
    volunteer(two, B_ONLY, "Our rota leaves the same people on nights", "Questions on fairness")

    tick(meeting_at - timedelta(minutes=90))
    ask = dms(two, B_ONLY, "Is it still yours to bring?")[-1]
    assert all(str(block["block_id"]).startswith(tag) for block in ask["blocks"])
    confirm(two, B_ONLY, yes=True)

    now = meeting_at
    tick(now)
    for _ in range(20):
        with two.db() as session:
            round_ = session.scalars(select(Round).where(Round.set_id.is_not(None))).one()
            session.expunge(round_)
        from bot.services import rounds as svc

        if svc.is_question_phase(round_):
            break
        if round_.status.value == "paused":
            two.click(CONVENOR_B, RoundIds.RESUME, value=f"{round_.id}:{round_.phase_index}")
        else:
            now = max(now, round_.phase_deadline or now) + timedelta(minutes=1)
        tick(now)
    assert svc.is_question_phase(round_) and round_.community_id == b
    posts = [m for m in two.fake.messages(space) if m.get("thread_ts") == round_.thread_ts]
    controls = [blk for m in posts for blk in m.get("blocks") or [] if blk["type"] == "actions"]
    assert controls and all(str(blk["block_id"]).startswith(tag) for blk in controls)

    say(two, space, BOTH, round_, "Have you tried a rota that rotates?")
    tips = [e for e in two.fake.ephemerals_for(BOTH) if "Kettle" in str(e.get("text"))]
    assert len(tips) == 1
    assert any("sounds like advice" in str(m.get("text")) for m in two.fake.dm_messages(CONVENOR_B))
    assert "Have you tried" not in dumps(two.fake.messages(B_COP) + two.fake.messages(COP))
