"""Curating the group end to end: apply, review with the mix, hear back, roles, data rights."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.builders.ids import MembershipIds
from bot.builders.membership import question_block_id
from bot.delivery import Sender
from bot.models import (
    Application,
    ApplicationStatus,
    Community,
    Consent,
    Decision,
    DecisionKind,
    Member,
    Story,
    StoryKind,
)
from bot.pacing import PostRateLimiter
from bot.services import membership
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2, OUTSIDER
from tests.fakeslack.signing import build_state_values
from tests.harness import Kettle

ANSWERS = {
    "role": "Network manager, Northern Community Trust",
    "network_type": "community_business",
    "years": "6-10",
    "level": "established",
    "region": "wales",
    "commitment": "I chair the regional forum and write up what we learn for everyone.",
    "give": "Stories about growing membership.",
    "get": "Peers to think with.",
}


def answers_by_block(answers: dict[str, Any], *, agree: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {question_block_id(k): v for k, v in answers.items()}
    if agree:
        out[MembershipIds.NORMS] = [MembershipIds.NORMS_YES.value]
    return out


def apply(kettle: Kettle, user: str = OUTSIDER, answers: dict[str, Any] | None = None) -> Any:
    reply = kettle.command(user, "/cop", "join")
    assert reply.status == 200
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == MembershipIds.APPLY_MODAL
    values = build_state_values(view, answers_by_block(answers or ANSWERS))
    return kettle.submit(user, view, values)


def application_id(kettle: Kettle, user: str = OUTSIDER) -> int:
    with kettle.db() as session:
        return session.scalars(select(Application.id).where(Application.user_id == user)).one()


def open_review(kettle: Kettle, app_id: int, user: str = CONVENOR) -> dict:
    kettle.click(user, MembershipIds.REVIEW_BUTTON, value=str(app_id))
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == MembershipIds.REVIEW_MODAL
    return view


def decide(kettle: Kettle, view: dict, choice: str, reason: str = "", user: str = CONVENOR) -> Any:
    values = build_state_values(
        view, {MembershipIds.DECISION: choice, MembershipIds.REASON: reason or None}
    )
    return kettle.submit(user, view, values)


def cop_id(kettle: Kettle) -> int:
    with kettle.db() as session:
        community = membership.community_for_channel(session, COP)
        assert community is not None
        return community.id


def member_of(kettle: Kettle, user: str) -> Member | None:
    with kettle.db() as session:
        m = membership.get_member(session, cop_id(kettle), user)
        return m if m is not None and m.is_active else None


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


# -- applying ------------------------------------------------------------------------------------


def test_apply_shows_purpose_and_criteria_then_stores_and_tells_everyone(kettle: Kettle) -> None:
    kettle.command(OUTSIDER, "/cop", "join")
    form = str(kettle.fake.last_view())
    assert "peer networks" in form and "What we look for" in form and "Confidentiality" in form
    reply = apply(kettle)
    assert reply.status == 200 and not reply.text
    with kettle.db() as session:
        application = session.scalars(select(Application)).one()
        assert application.status == ApplicationStatus.PENDING
        assert application.answers["region"] == "wales" and application.name == "Olly"
        assert session.get(Community, application.community_id).settings["curated"] is True
    assert "Thank you for applying" in texts(kettle.fake.dm_messages(OUTSIDER))
    assert "new application" in texts(kettle.fake.dm_messages(CONVENOR))
    convenor_home = str(kettle.fake.home(CONVENOR))
    assert "Olly" in convenor_home and MembershipIds.REVIEW_BUTTON in convenor_home
    assert "with the convenors" in str(kettle.fake.home(OUTSIDER))
    assert member_of(kettle, OUTSIDER) is None


def test_form_needs_answers_and_the_norms(kettle: Kettle) -> None:
    kettle.command(OUTSIDER, "/cop", "join")
    view = kettle.fake.last_view()
    assert view is not None
    partial = {k: v for k, v in ANSWERS.items() if k != "region"}
    reply = kettle.submit(
        OUTSIDER, view, build_state_values(view, answers_by_block(partial, agree=False))
    )
    errors = reply.json["errors"]
    assert set(errors) == {question_block_id("region"), MembershipIds.NORMS}
    with kettle.db() as session:
        assert session.scalar(select(func.count()).select_from(Application)) == 0


def test_same_submission_twice_stores_once_and_a_second_application_is_refused(
    kettle: Kettle,
) -> None:
    kettle.command(OUTSIDER, "/cop", "join")
    view = kettle.fake.last_view()
    assert view is not None
    values = build_state_values(view, answers_by_block(ANSWERS))
    kettle.submit(OUTSIDER, view, values)
    kettle.submit(OUTSIDER, view, values)
    with kettle.db() as session:
        assert session.scalar(select(func.count()).select_from(Application)) == 1
    again = kettle.command(OUTSIDER, "/cop", "join")
    assert "with the convenors" in again.json["text"]


def test_member_and_convenor_cannot_apply(kettle: Kettle) -> None:
    for user in (MEMBER, CONVENOR):
        reply = kettle.command(user, "/cop", "join")
        assert "already a member" in reply.json["text"]
    assert kettle.fake.views_opened == []


def test_outsider_home_has_an_apply_button_that_opens_the_form(kettle: Kettle) -> None:
    kettle.event({"type": "app_home_opened", "user": OUTSIDER, "tab": "home", "channel": "D9"})
    assert MembershipIds.APPLY_BUTTON in str(kettle.fake.home(OUTSIDER))
    kettle.click(OUTSIDER, MembershipIds.APPLY_BUTTON)
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == MembershipIds.APPLY_MODAL


# -- reviewing and hearing back -------------------------------------------------------------------


def test_review_shows_criteria_and_the_mix_then_approval_invites_and_welcomes(
    kettle: Kettle,
) -> None:
    apply(kettle)
    app_id = application_id(kettle)
    view = open_review(kettle, app_id)
    shown = str(view)
    assert "Criteria" in shown and "How the group's mix would change" in shown
    assert "Wales" in shown and "0→1" in shown and "thin spot" in shown
    reply = decide(kettle, view, "approved", "Welcome, your regional work is what we need.")
    assert reply.status == 200 and not reply.text

    assert member_of(kettle, OUTSIDER) is not None
    assert OUTSIDER in kettle.fake.members_of(COP)
    dms = texts(kettle.fake.dm_messages(OUTSIDER))
    assert "approved" in dms and "regional work" in dms
    assert "Welcome to" in dms and "Openness" in dms and "Action learning" in dms
    with kettle.db() as session:
        decision = session.scalars(
            select(Decision).where(Decision.kind == DecisionKind.APPROVED)
        ).one()
        assert decision.actor_name == "Esther" and decision.subject_name == "Olly"
        member = membership.get_member(session, cop_id(kettle), OUTSIDER)
        assert member is not None
        assert membership.get_profile(session, member).answers["region"] == "wales"

    # Slack then tells Kettle they joined the channel: they're already a member, nothing more.
    kettle.event({"type": "member_joined_channel", "user": OUTSIDER, "channel": COP})
    assert "was added to" not in texts(kettle.fake.dm_messages(CONVENOR))
    # A second decision on the same application is refused.
    again = decide(kettle, view, "declined", "no")
    assert "already decided" in json.dumps(again.json)


def test_decline_needs_a_reason_which_the_applicant_reads(kettle: Kettle) -> None:
    apply(kettle)
    view = open_review(kettle, application_id(kettle))
    reply = decide(kettle, view, "declined")
    assert set(reply.json["errors"]) == {MembershipIds.REASON}
    decide(kettle, view, "declined", "We need people running a network today.")
    dms = texts(kettle.fake.dm_messages(OUTSIDER))
    assert "not offered you a place" in dms and "running a network today" in dms
    assert OUTSIDER not in kettle.fake.members_of(COP)
    assert member_of(kettle, OUTSIDER) is None


def test_approval_beyond_capacity_goes_to_the_waitlist(kettle: Kettle) -> None:
    reply = kettle.command(CONVENOR, "/cop", "capacity 2")
    assert "room for 2" in reply.json["text"] and "2 taken" in reply.json["text"]
    apply(kettle)
    decide(kettle, open_review(kettle, application_id(kettle)), "approved")
    with kettle.db() as session:
        application = session.scalars(select(Application)).one()
        assert application.status == ApplicationStatus.WAITLISTED
        assert "full" in (application.reason or "")
    assert member_of(kettle, OUTSIDER) is None
    assert "waitlist" in texts(kettle.fake.dm_messages(OUTSIDER))
    assert "went on the waitlist" in texts(kettle.fake.dm_messages(CONVENOR))
    # Room made: the waitlisted applicant can now be approved.
    kettle.command(CONVENOR, "/cop", "capacity 3")
    decide(kettle, open_review(kettle, application_id(kettle)), "approved")
    assert member_of(kettle, OUTSIDER) is not None


def test_forged_review_from_a_member_or_outsider_changes_nothing(kettle: Kettle) -> None:
    apply(kettle)
    app_id = application_id(kettle)
    view = open_review(kettle, app_id)
    opened = len(kettle.fake.views_opened)
    for user in (MEMBER, OUTSIDER):
        kettle.click(user, MembershipIds.REVIEW_BUTTON, value=str(app_id), channel="D1")
        reply = decide(kettle, view, "approved", user=user)
        assert reply.json["response_action"] == "update"
    assert len(kettle.fake.views_opened) == opened
    refusals = texts(kettle.fake.responses)
    assert "Only a convenor" in refusals and "for its members" in refusals
    with kettle.db() as session:
        assert session.get(Application, app_id).status == ApplicationStatus.PENDING
    assert member_of(kettle, OUTSIDER) is None and OUTSIDER not in kettle.fake.members_of(COP)


# -- the channel stays in step ------------------------------------------------------------------


def test_before_anyone_applies_joining_the_channel_makes_a_member(kettle: Kettle) -> None:
    kettle.event({"type": "member_joined_channel", "user": OUTSIDER, "channel": COP})
    assert member_of(kettle, OUTSIDER) is not None


def test_once_curated_someone_added_by_hand_is_not_a_member_and_the_convenor_is_told(
    kettle: Kettle,
) -> None:
    apply(kettle, user=OUTSIDER)
    kettle.fake.add_user("UNEW", "Nia")
    kettle.event({"type": "member_joined_channel", "user": "UNEW", "channel": COP})
    kettle.event({"type": "member_joined_channel", "user": OUTSIDER, "channel": COP})
    assert member_of(kettle, "UNEW") is None and member_of(kettle, OUTSIDER) is None
    told = texts(kettle.fake.dm_messages(CONVENOR))
    assert "<@UNEW> (Nia) was added to" in told and "haven't applied" in told
    assert "application waiting" in told
    reply = kettle.command("UNEW", "/cop", "members")
    assert "for its members" in reply.json["text"]


def test_leaving_the_channel_ends_membership_and_is_logged(kettle: Kettle) -> None:
    kettle.event({"type": "member_left_channel", "user": MEMBER, "channel": COP})
    assert member_of(kettle, MEMBER) is None
    log = kettle.command(CONVENOR, "/cop", "log").json["text"]
    assert "Amina left" in log


# -- members, profile, norms --------------------------------------------------------------------


def test_profile_edit_and_directory_respects_the_choice_to_show(kettle: Kettle) -> None:
    kettle.command(MEMBER, "/cop", "profile")
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == MembershipIds.PROFILE_MODAL
    answers = answers_by_block(ANSWERS, agree=False)
    kettle.submit(MEMBER, view, build_state_values(view, answers))
    directory = kettle.command(MEMBER2, "/cop", "members").json["text"]
    assert f"<@{MEMBER}>" in directory
    assert "Northern Community Trust" not in directory  # not shown unless chosen
    assert "Wales 1" not in directory  # nor counted where others can see it

    kettle.command(MEMBER, "/cop", "profile")
    view = kettle.fake.last_view()
    assert view is not None
    region = next(b for b in view["blocks"] if b.get("block_id") == question_block_id("region"))
    assert region["element"]["initial_option"]["value"] == "wales"
    answers[MembershipIds.SHOW] = [MembershipIds.SHOW_YES.value]
    kettle.submit(MEMBER, view, build_state_values(view, answers))
    directory = kettle.command(MEMBER2, "/cop", "members").json["text"]
    assert "Northern Community Trust" in directory and "Wales 1" in directory
    assert "Edit my profile" in str(kettle.fake.home(MEMBER))


def test_norms_are_for_anyone(kettle: Kettle) -> None:
    for user in (OUTSIDER, MEMBER, CONVENOR):
        text = kettle.command(user, "/cop", "norms").json["text"]
        assert "No judgement" in text and "What we look for" in text


def test_help_shows_each_person_what_they_may_do(kettle: Kettle) -> None:
    outsider = kettle.command(OUTSIDER, "/cop", "help").json["text"]
    member = kettle.command(MEMBER, "/cop", "help").json["text"]
    convenor = kettle.command(CONVENOR, "/cop", "").json["text"]
    assert "/cop join" in outsider and "/cop members" not in outsider
    assert "/cop members" in member and "/cop review" not in member
    assert "/cop review" in convenor and "/cop remove" in convenor


# -- roles, leaving, removal --------------------------------------------------------------------


def test_convenors_appoint_and_stand_down_but_one_always_remains(kettle: Kettle) -> None:
    reply = kettle.command(CONVENOR, "/cop", f"convenor appoint <@{MEMBER}|amina>")
    assert "now a convenor" in reply.json["text"]
    assert member_of(kettle, MEMBER).is_convenor  # type: ignore[union-attr]
    kettle.command(MEMBER, "/cop", "convenor standdown @Esther")
    assert not member_of(kettle, CONVENOR).is_convenor  # type: ignore[union-attr]
    refused = kettle.command(MEMBER, "/cop", f"convenor standdown {MEMBER}")
    assert "At least one convenor" in refused.json["text"]
    assert member_of(kettle, MEMBER).is_convenor  # type: ignore[union-attr]
    log = kettle.command(MEMBER, "/cop", "log").json["text"]
    assert "appointed convenor by Esther" in log and "stood down as convenor by Amina" in log


def test_a_member_cannot_use_convenor_words(kettle: Kettle) -> None:
    for words in (
        f"convenor appoint <@{MEMBER2}>",
        f"remove <@{MEMBER2}> because",
        "capacity 1",
        "review",
        "log",
    ):
        reply = kettle.command(MEMBER, "/cop", words)
        assert "Only a convenor" in reply.json["text"]
    assert not member_of(kettle, MEMBER2).is_convenor  # type: ignore[union-attr]
    assert member_of(kettle, MEMBER2) is not None


def test_remove_needs_a_reason_then_kicks_and_tells_them_kindly(kettle: Kettle) -> None:
    refused = kettle.command(CONVENOR, "/cop", f"remove <@{MEMBER}>")
    assert "reason" in refused.json["text"]
    reply = kettle.command(CONVENOR, "/cop", f"remove <@{MEMBER}> You've moved to a new role.")
    assert "removed" in reply.json["text"]
    assert member_of(kettle, MEMBER) is None and MEMBER not in kettle.fake.members_of(COP)
    dm = texts(kettle.fake.dm_messages(MEMBER))
    assert "moved to a new role" in dm and "Thank you" in dm
    assert "for its members" in kettle.command(MEMBER, "/cop", "members").json["text"]


def test_leave_with_confirmation(kettle: Kettle) -> None:
    reply = kettle.command(MEMBER, "/cop", "leave")
    assert MembershipIds.LEAVE_BUTTON in json.dumps(reply.json["blocks"])
    kettle.click(MEMBER, MembershipIds.LEAVE_BUTTON, channel="D1")
    assert member_of(kettle, MEMBER) is None and MEMBER not in kettle.fake.members_of(COP)
    assert any("You've left" in r.get("text", "") for r in kettle.fake.responses)
    # The last convenor cannot leave.
    kettle.click(CONVENOR, MembershipIds.LEAVE_BUTTON, channel="D2")
    assert member_of(kettle, CONVENOR) is not None
    assert any("At least one convenor" in r.get("text", "") for r in kettle.fake.responses)
    # An outsider's forged leave does nothing.
    kettle.click(OUTSIDER, MembershipIds.LEAVE_BUTTON, channel="D3")
    assert "for its members" in texts(kettle.fake.responses[-1:])


# -- data rights --------------------------------------------------------------------------------


def add_story(kettle: Kettle, user: str, title: str) -> None:
    with kettle.db() as session:
        member = membership.get_member(session, cop_id(kettle), user)
        assert member is not None
        session.add(
            Story(
                community_id=member.community_id,
                author_id=member.id,
                title=title,
                body="It went well.",
                kind=StoryKind.SUCCESS,
                consent=Consent.COP_ONLY,
                themes=[],
            )
        )


def test_mydata_sends_a_json_file_to_the_dm(kettle: Kettle) -> None:
    add_story(kettle, MEMBER, "Our first peer session")
    reply = kettle.command(MEMBER, "/cop", "mydata")
    assert "direct messages" in reply.json["text"]
    upload = kettle.fake.dm_messages(MEMBER)[-1]
    file_id = upload["files"][0]["id"]
    data = json.loads(kettle.fake.file_bytes(file_id) or b"{}")
    assert data["slack_user_id"] == MEMBER and data["member"]["name"] == "Amina"
    assert data["stories"][0]["title"] == "Our first peer session"
    assert kettle.fake.calls_to("files.getUploadURLExternal")
    assert kettle.fake.calls_to("files.completeUploadExternal")
    nothing = kettle.command(OUTSIDER, "/cop", "mydata")
    assert "holds nothing" in nothing.json["text"]


def test_forget_keeps_stories_anonymised_when_asked(kettle: Kettle) -> None:
    add_story(kettle, MEMBER, "Kept story")
    reply = kettle.command(MEMBER, "/cop", "forget")
    blocks = json.dumps(reply.json["blocks"])
    assert MembershipIds.FORGET_KEEP_BUTTON in blocks and '"confirm"' in blocks
    kettle.click(MEMBER, MembershipIds.FORGET_KEEP_BUTTON, channel="D1")
    with kettle.db() as session:
        assert membership.get_member(session, cop_id(kettle), MEMBER) is None
        story = session.scalars(select(Story)).one()
        assert story.author_id is None and story.title == "Kept story"
        assert not session.scalars(select(Decision).where(Decision.subject_user_id == MEMBER)).all()
    assert MEMBER not in kettle.fake.members_of(COP)
    assert "holds nothing" in kettle.command(MEMBER, "/cop", "mydata").json["text"]


def test_forget_counts_only_their_own_stories_before_they_choose(kettle: Kettle) -> None:
    add_story(kettle, MEMBER, "One")
    add_story(kettle, MEMBER, "Two")
    add_story(kettle, MEMBER2, "Not theirs")
    mine = kettle.command(MEMBER, "/cop", "forget")
    assert "You have 2 stories:" in json.dumps(mine.json["blocks"])
    theirs = kettle.command(MEMBER2, "/cop", "forget")
    assert "You have 1 story:" in json.dumps(theirs.json["blocks"])


def test_forget_deletes_stories_and_applications(kettle: Kettle) -> None:
    apply(kettle)
    decide(kettle, open_review(kettle, application_id(kettle)), "approved")
    add_story(kettle, OUTSIDER, "Gone story")
    kettle.click(OUTSIDER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    with kettle.db() as session:
        assert session.scalar(select(func.count()).select_from(Story)) == 0
        assert session.scalar(select(func.count()).select_from(Application)) == 0
        names = {d.subject_name for d in session.scalars(select(Decision))}
        assert "Olly" not in names
    assert OUTSIDER not in kettle.fake.members_of(COP)


def test_forget_leaves_their_dm_id_in_no_replicas_memory(kettle: Kettle) -> None:
    """Their DM id goes with their member row: neither the replica that forgot them nor
    another that had used the id a moment before can read it back, even after writing to them
    again (as someone who is no member, Kettle keeps no id for them)."""
    dm = kettle.fake.dm_channel_as(MEMBER, "DFORGOTTEN1")
    kettle.command(MEMBER, "/cop", "mydata")  # Kettle writes to them: their row keeps the id
    other = Sender(kettle.client, kettle.session_factory, limiter=PostRateLimiter(0))
    assert other.resolve_channel(MEMBER) == dm == kettle.sender.known_dm(MEMBER)
    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel=dm)
    with kettle.db() as session:
        assert membership.get_member(session, cop_id(kettle), MEMBER) is None
    assert kettle.sender.known_dm(MEMBER) is None
    assert other.known_dm(MEMBER) is None
    other.deliver("forgotten-test:1", MEMBER, text="A word to someone who is no member")
    assert other.known_dm(MEMBER) is None and kettle.sender.known_dm(MEMBER) is None


@pytest.mark.parametrize("word", ["profile", "members", "leave"])
def test_member_words_refuse_outsiders(kettle: Kettle, word: str) -> None:
    reply = kettle.command(OUTSIDER, "/cop", word)
    assert "for its members" in reply.json["text"] and f"<@{CONVENOR}>" in reply.json["text"]
    assert kettle.fake.views_opened == []


def test_outsider_cannot_press_member_or_convenor_buttons(kettle: Kettle) -> None:
    kettle.click(OUTSIDER, MembershipIds.PROFILE_BUTTON, channel="D1")
    kettle.click(OUTSIDER, MembershipIds.REVIEW_BUTTON, value="1", channel="D1")
    assert kettle.fake.views_opened == []
    assert all("for its members" in r["text"] for r in kettle.fake.responses)


def test_at_start_a_curated_group_does_not_admit_people_added_by_hand(kettle: Kettle) -> None:
    from bot import runtime
    from bot.server import bootstrap_community

    apply(kettle)
    kettle.fake.set_members(COP, [*kettle.fake.members_of(COP), OUTSIDER])
    bootstrap_community(runtime.current())
    bootstrap_community(runtime.current())
    assert member_of(kettle, OUTSIDER) is None and member_of(kettle, MEMBER) is not None
    told = [m for m in kettle.fake.dm_messages(CONVENOR) if f"<@{OUTSIDER}> was added" in m["text"]]
    assert len(told) == 1
