"""The capabilities wired together: forget-me and my data reach every table, the health report
gets real rates, and a pairing intro can start from a profile the member chose to show."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import JSON, select
from sqlalchemy.orm import Session

import bot.services.hooks  # noqa: F401  (what the app, the server and the jobs import)
from bot.builders import pairing as pairing_builders
from bot.builders.knowledge import health_summary
from bot.config import Settings
from bot.models import (
    Base,
    Callout,
    CalloutAnswer,
    Checkin,
    CheckinPause,
    CheckinStatus,
    Community,
    Consent,
    Delivery,
    DeliveryStatus,
    LearningSet,
    Meeting,
    MeetingPulse,
    MeetingRsvp,
    Member,
    PairingAvoid,
    PairingGroup,
    PairingGroupMember,
    PairingPreference,
    PairingRound,
    Pick,
    Publication,
    PublicationStatus,
    Role,
    Round,
    RoundCommitment,
    RoundContribution,
    RoundKind,
    RoundNote,
    RoundOptOut,
    Rsvp,
    SetOffer,
    SetRhythm,
    Story,
    StoryFile,
    StoryKind,
    Tip,
    Visibility,
)
from bot.services import checkins, knowledge, membership, pairing, rounds
from bot.services.membership import SlackProfile

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SECRET = "ZEBRA"  # in every free text the forgotten person wrote
GONE, STAYS, CONV = "UGONE", "USTAYS", "UCONV"


@pytest.fixture
def community(db_session: Session) -> Community:
    settings = Settings(bot_token="xoxb-x", signing_secret="0" * 32, cop_channel="C0COP")
    return membership.ensure_community(db_session, settings)


def admit(session: Session, community: Community, user_id: str, name: str, **kw: Any) -> Member:
    return membership.admit(session, community, SlackProfile(user_id, name, None), **kw)


def story(session: Session, community: Community, author: Member | None, title: str) -> Story:
    row = Story(
        community_id=community.id,
        author_id=author.id if author else None,
        title=title,
        body=f"{title} body",
        kind=StoryKind.SUCCESS,
        consent=Consent.MOVEMENT_NAMED,
        themes=[],
        cop_channel_id="C0COP",
        cop_message_ts=f"1.{title}",
        created_at=NOW - timedelta(days=3),
    )
    session.add(row)
    session.flush()
    return row


def everything(session: Session, community: Community) -> tuple[Member, Member, Member]:
    """A CoP where the person to forget (and someone else) has data in every capability."""
    conv = admit(session, community, CONV, "Cora", role=Role.CONVENOR)
    gone = admit(session, community, GONE, "Gwen Gone")
    stays = admit(session, community, STAYS, "Sam Stays")
    membership.save_profile(session, gone, {"role": f"{SECRET} trust"}, show=True)
    for m in (gone, stays):
        # check-ins
        session.add(
            Checkin(
                community_id=community.id,
                member_id=m.id,
                week="2026-W09",
                status=CheckinStatus.ANSWERED,
                on_mind=f"{SECRET} mind" if m is gone else "fine",
            )
        )
        session.add(CheckinPause(member_id=m.id, until=date(2026, 4, 1)))
        session.add(
            Delivery(key=f"checkin:{m.id}:2026-W09", channel=m.user_id, status=DeliveryStatus.SENT)
        )
        # pairing
        session.add(PairingPreference(member_id=m.id, opted_in=True))
    session.add(PairingAvoid(member_id=gone.id, avoided_id=conv.id))
    session.add(PairingAvoid(member_id=stays.id, avoided_id=gone.id))
    session.add(PairingAvoid(member_id=stays.id, avoided_id=conv.id))
    met_round = PairingRound(community_id=community.id, number=1, starts_at=NOW - timedelta(30))
    next_round = PairingRound(community_id=community.id, number=2, starts_at=NOW)
    session.add_all([met_round, next_round])
    session.flush()
    met = PairingGroup(round_id=met_round.id, met=True, answered_by=gone.id, introduced_at=NOW)
    pending = PairingGroup(round_id=next_round.id)
    session.add_all([met, pending])
    session.flush()
    for group, people in ((met, (gone, stays, conv)), (pending, (gone, stays))):
        session.add_all(PairingGroupMember(group_id=group.id, member_id=p.id) for p in people)
    # meetings
    meeting = Meeting(
        community_id=community.id,
        convenor_id=gone.id,
        title="Monthly",
        first_date=date(2026, 2, 24),
        start_minute=18 * 60,
        tz="Europe/London",
        duration_minutes=60,
        video_url="https://meet.example/x",
        channel_id="C0COP",
    )
    session.add(meeting)
    session.flush()
    for m in (gone, stays):
        session.add(
            MeetingRsvp(
                meeting_id=meeting.id,
                occurrence=date(2026, 2, 24),
                member_id=m.id,
                response="going",
            )
        )
        session.add(
            MeetingPulse(
                meeting_id=meeting.id,
                occurrence=date(2026, 2, 24),
                member_id=m.id,
                score=4,
                note=f"{SECRET} pulse" if m is gone else "good",
            )
        )
    # rounds
    als = Round(
        community_id=community.id,
        kind=RoundKind.ALS,
        topic="Growing the network",
        facilitator_id=gone.id,
        presenter_id=gone.id,
        set_members=[GONE, STAYS, CONV],
        channel_id="C0COP",
        started_at=NOW - timedelta(days=2),
    )
    session.add(als)
    session.flush()
    for m in (gone, stays):
        said = f"{SECRET} said" if m is gone else "Sam's question"
        session.add(
            RoundContribution(
                round_id=als.id, phase_index=1, member_id=m.id, text=said, created_at=NOW
            )
        )
        session.add(
            RoundCommitment(
                round_id=als.id,
                member_id=m.id,
                what=f"{SECRET} action" if m is gone else "Sam's action",
                due_at=NOW + timedelta(days=14),
                report=f"{SECRET} how it went, privately" if m is gone else None,
            )
        )
    session.add(RoundNote(round_id=als.id, phase_index=1, member_id=gone.id, kind="tip"))
    session.add(RoundOptOut(member_id=gone.id))
    # a standing set they advise and are in, and an offer to present at its next meeting
    learning_set = LearningSet(
        community_id=community.id,
        name="Practice set",
        adviser_id=gone.id,
        created_by_id=gone.id,
        members=[GONE, STAYS, CONV],
        rhythm=SetRhythm.WEEKLY,
        tz="Europe/London",
        next_meeting_at=NOW + timedelta(days=7),
        channel_id="G0SET",
    )
    session.add(learning_set)
    session.flush()
    session.add(
        SetOffer(
            set_id=learning_set.id,
            meeting_at=NOW + timedelta(days=7),
            member_id=gone.id,
            problem=f"{SECRET} problem",
            help_wanted=f"{SECRET} help",
        )
    )
    session.flush()
    rounds.close(session, als, now=NOW)
    assert "Gwen Gone" in (als.synthesis or "")
    # stories and knowledge
    own = story(session, community, gone, f"{SECRET} own story")
    theirs = story(session, community, stays, "Sam's story")
    callout = Callout(community_id=community.id, question="What worked?", created_by=GONE)
    session.add(callout)
    session.flush()
    answered = story(session, community, None, f"{SECRET} answer")  # before they were a member
    session.add(
        CalloutAnswer(
            callout_id=callout.id,
            story_id=answered.id,
            responder_user_id=GONE,
            responder_name="Gwen Gone",
        )
    )
    for i, (attached, sha) in enumerate(((own.id, "a" * 64), (None, "b" * 64))):
        session.add(
            StoryFile(
                community_id=community.id,
                story_id=attached,
                uploader_user_id=GONE,
                slack_file_id=f"F{i}",
                name="voice.m4a",
                sha256=sha,
                message_text=f"{SECRET} file",
            )
        )
    session.add(
        Publication(
            story_id=own.id,
            status=PublicationStatus.PUBLISHED,
            proposed_by=CONV,
            author_user_id=GONE,
            named=True,
            channel_id="C0MOVE",
            message_ts="9.own",
        )
    )
    session.add(
        Publication(
            story_id=theirs.id,
            status=PublicationStatus.PUBLISHED,
            proposed_by=GONE,
            author_user_id=STAYS,
            named=True,
            channel_id="C0MOVE",
            message_ts="9.theirs",
        )
    )
    session.add(Pick(community_id=community.id, story_id=own.id, picked_by=CONV))
    session.add(Pick(community_id=community.id, story_id=theirs.id, picked_by=GONE))
    session.add(Tip(community_id=community.id, text=f"{SECRET} tip", created_by=GONE))
    session.add(Tip(community_id=community.id, text="Sam's tip", created_by=STAYS))
    session.flush()
    return conv, gone, stays


def traces(session: Session, member_id: int) -> list[str]:
    """Every cell in every table that still points at the person: their member id in a column
    that refers to members, their Slack id or name anywhere, or their words."""
    found = []
    for table in Base.metadata.sorted_tables:
        member_cols = {
            c.name
            for c in table.columns
            for fk in c.foreign_keys
            if fk.column.table.name == "members"
        }
        json_cols = {c.name for c in table.columns if isinstance(c.type, JSON)}
        for row in session.execute(select(table)).mappings():
            for name, value in row.items():
                if name in member_cols and value == member_id:
                    found.append(f"{table.name}.{name}")
                text = json.dumps(value) if name in json_cols else value
                if isinstance(text, str) and any(s in text for s in (GONE, "Gwen", SECRET)):
                    found.append(f"{table.name}.{name}={text[:40]!r}")
    return found


def counts(session: Session) -> dict[str, int]:
    return {
        t.name: len(session.execute(select(t)).all())
        for t in Base.metadata.sorted_tables
        if t.name not in ("membership_decisions", "deliveries")
    }


def test_forget_deletes_everything_of_theirs_in_every_capability(
    db_session: Session, community: Community
) -> None:
    _conv, gone, stays = everything(db_session, community)
    gone_id = gone.id
    assert traces(db_session, gone_id)  # the scan sees them before
    result = membership.forget(db_session, community, GONE, keep_stories=False, now=NOW)
    db_session.expire_all()
    assert traces(db_session, gone_id) == []
    # Posts that carried their stories come down: the CoP's and the movement's.
    assert set(result.deleted_story_posts) >= {
        ("C0COP", f"1.{SECRET} own story"),
        ("C0COP", f"1.{SECRET} answer"),
        ("C0MOVE", "9.own"),
    }
    assert result.unused_files == sorted(["a" * 64, "b" * 64])
    # Everyone else's data is intact.
    s = db_session
    assert s.scalars(select(Checkin.on_mind)).all() == ["fine"]
    assert s.scalars(select(CheckinPause.member_id)).all() == [stays.id]
    assert s.scalars(select(MeetingPulse.note)).all() == ["good"]
    assert s.scalars(select(MeetingRsvp.member_id)).all() == [stays.id]
    assert s.scalars(select(PairingPreference.member_id)).all() == [stays.id]
    assert len(s.scalars(select(PairingAvoid)).all()) == 1  # Sam avoids the convenor still
    met = s.scalars(select(PairingGroup).where(PairingGroup.met.is_(True))).one()
    assert sorted(gm.member_id for gm in met.members) == sorted([stays.id, _conv.id])
    assert s.scalars(select(PairingGroup).where(PairingGroup.introduced_at.is_(None))).all() == []
    assert s.scalars(select(RoundContribution.text)).all() == ["Sam's question"]
    assert s.scalars(select(RoundCommitment.what)).all() == ["Sam's action"]
    als = s.scalars(select(Round)).one()
    assert als.set_members == [STAYS, CONV] and "Sam's question" in (als.synthesis or "")
    assert s.scalars(select(Story.title)).all() == ["Sam's story"]
    publication = s.scalars(select(Publication)).one()
    assert publication.status == PublicationStatus.PUBLISHED and publication.author_user_id == STAYS
    assert s.scalars(select(Pick.picked_by)).all() == [""]
    assert s.scalars(select(Tip.text)).all() == ["Sam's tip"]
    assert s.scalars(select(Meeting.title)).all() == ["Monthly"]


def test_forget_keeping_stories_keeps_their_words_without_their_name(
    db_session: Session, community: Community
) -> None:
    _conv, gone, _stays = everything(db_session, community)
    gone_id = gone.id
    result = membership.forget(db_session, community, GONE, keep_stories=True, now=NOW)
    db_session.expire_all()
    left = traces(db_session, gone_id)
    # Only their words remain, never their id or name.
    assert left and all(SECRET in t and GONE not in t and "Gwen" not in t for t in left), left
    said = db_session.scalars(
        select(RoundContribution).where(RoundContribution.text.contains(SECRET))
    ).one()
    assert said.member_id is None and said.anonymous
    commitment = db_session.scalars(
        select(RoundCommitment).where(RoundCommitment.what.contains(SECRET))
    ).one()
    assert commitment.member_id is None
    assert commitment.report is None  # private: nobody is left who may read it
    # A post that named them comes down; the story stays, unnamed.
    assert ("C0MOVE", "9.own") in result.deleted_story_posts
    own = db_session.scalars(select(Story).where(Story.title == f"{SECRET} own story")).one()
    assert own.author_id is None
    assert (
        db_session.scalars(select(Publication).where(Publication.story_id == own.id)).one().status
        == PublicationStatus.WITHDRAWN
    )
    assert result.unused_files == ["b" * 64]  # the unattached file; the kept story's stays
    assert db_session.scalars(select(CheckinPause)).all()  # Sam's
    assert not db_session.scalars(select(Checkin).where(Checkin.on_mind.contains(SECRET))).all()


def test_mydata_has_a_section_from_each_capability(
    db_session: Session, community: Community
) -> None:
    everything(db_session, community)
    data = membership.personal_data(db_session, community, GONE)
    json.dumps(data)  # all JSON-able
    assert data["checkins"]["checkins"][0]["on_mind"] == f"{SECRET} mind"
    assert data["checkins"]["paused_until"] == "2026-04-01"
    assert data["meetings"]["rsvps"] == [
        {"meeting": "Monthly", "date": "2026-02-24", "answer": "going"}
    ]
    assert data["meetings"]["pulses"][0]["note"] == f"{SECRET} pulse"
    assert data["meetings"]["meetings_convened"] == ["Monthly"]
    assert data["pairing"]["preference"]["opted_in"] is True
    assert data["pairing"]["avoiding"] == ["Cora"]
    assert [g["round"] for g in data["pairing"]["groups"]] == [1, 2]
    assert sorted(data["pairing"]["groups"][0]["with"]) == ["Cora", "Sam Stays"]
    assert data["rounds"]["contributions"][0]["text"] == f"{SECRET} said"
    assert data["rounds"]["commitments"][0]["what"] == f"{SECRET} action"
    assert data["rounds"]["private_invitations"] is False
    assert data["knowledge"]["files_sent"][0]["story"] == f"{SECRET} own story"
    assert data["knowledge"]["callout_answers"][0]["story"] == f"{SECRET} answer"
    assert data["knowledge"]["tips_added"] == [f"{SECRET} tip"]
    assert data["knowledge"]["callouts_asked"] == ["What worked?"]
    assert {p["story"] for p in data["knowledge"]["publications_of_your_stories"]} == {
        f"{SECRET} own story"
    }


def test_health_report_shows_real_rates_over_what_was_shared(
    db_session: Session, community: Community
) -> None:
    conv = admit(db_session, community, CONV, "Cora", role=Role.CONVENOR)
    amina = admit(db_session, community, "UAMINA", "Amina")
    rohan = admit(db_session, community, "UROHAN", "Rohan")
    priya = admit(db_session, community, "UPRIYA", "Priya")
    sam = admit(db_session, community, "USAM", "Sam")
    week = "2026-W09"
    for m, seen_by in (
        (amina, Visibility.CONVENORS),
        (rohan, Visibility.COP),
        (priya, Visibility.CONVENORS),
        (sam, Visibility.PRIVATE),
    ):
        db_session.add(
            Delivery(
                key=checkins.checkin_key(m.id, week),
                channel=m.user_id,
                status=DeliveryStatus.SENT,
                created_at=NOW - timedelta(days=6),
            )
        )
        db_session.add(
            Checkin(
                community_id=community.id,
                member_id=m.id,
                week=week,
                status=CheckinStatus.ANSWERED,
                visibility=seen_by,
                created_at=NOW - timedelta(days=5),
                updated_at=NOW - timedelta(days=5),
            )
        )
    ai = Round(
        community_id=community.id,
        kind=RoundKind.AI,
        topic="Best of us",
        channel_id="C0COP",
        started_at=NOW - timedelta(days=10),
    )
    db_session.add(ai)
    db_session.flush()
    for m, anonymous in ((rohan, False), (sam, True)):
        db_session.add(
            RoundContribution(
                round_id=ai.id,
                phase_index=0,
                member_id=m.id,
                text="x",
                anonymous=anonymous,
                created_at=NOW - timedelta(9),
            )
        )
    meeting = Meeting(
        community_id=community.id,
        convenor_id=conv.id,
        title="Monthly",
        first_date=date(2026, 2, 24),
        start_minute=18 * 60,
        tz="Europe/London",
        duration_minutes=60,
        video_url="https://meet.example/x",
        channel_id="C0COP",
    )
    db_session.add(meeting)
    db_session.flush()
    db_session.add(
        MeetingRsvp(
            meeting_id=meeting.id,
            occurrence=date(2026, 2, 24),
            member_id=amina.id,
            response=Rsvp.GOING,
        )
    )
    db_session.add(
        MeetingPulse(
            meeting_id=meeting.id, occurrence=date(2026, 2, 24), member_id=conv.id, score=5
        )
    )
    db_session.flush()
    report = knowledge.health_report(db_session, community, now=NOW)
    # Three of the four check-ins sent were shared: Sam's "just me" one is in no figure.
    assert report.rates["Check-ins shared"] == pytest.approx(0.75)
    # One named contributor, one going: too few to show without singling anyone out.
    assert report.too_few == ["Round participation", "Meeting participation"]
    assert report.rates["Round participation"] is None
    # Sam's anonymous contribution and Cora's pulse answer make neither of them active.
    assert sorted(report.tiers["active"]) == ["Amina", "Priya", "Rohan"]
    assert sorted(report.tiers["peripheral"]) == ["Cora", "Sam"]
    summary = health_summary(report)
    assert "Check-ins shared: 75%" in summary
    assert "Round participation: too few shared to show" in summary
    assert "not measured yet" not in summary


def test_round_participation_counts_only_contributions_made_under_a_name(
    db_session: Session, community: Community
) -> None:
    people = [admit(db_session, community, f"U{i}", f"Person {i}") for i in range(5)]
    ai = Round(
        community_id=community.id,
        kind=RoundKind.AI,
        topic="Best of us",
        channel_id="C0COP",
        started_at=NOW - timedelta(days=10),
    )
    db_session.add(ai)
    db_session.flush()
    for m in people[:3]:
        db_session.add(RoundContribution(round_id=ai.id, phase_index=0, member_id=m.id, text="x"))
    db_session.add(
        RoundContribution(
            round_id=ai.id, phase_index=0, member_id=people[3].id, anonymous=True, text="y"
        )
    )
    db_session.flush()
    figures = rounds.health_figures(db_session, community.id, NOW - timedelta(days=90), NOW)
    assert figures.rates["Round participation"] == pytest.approx(3 / 5)
    assert figures.counted["Round participation"] == 3
    assert "U3" not in figures.activity


def test_pairing_starter_comes_from_what_a_member_chose_to_show(
    db_session: Session, community: Community
) -> None:
    amina = admit(db_session, community, "UAMINA", "Amina")
    rohan = admit(db_session, community, "UROHAN", "Rohan")
    membership.save_profile(
        db_session,
        amina,
        {"role": "Runs the Valleys Trust", "region": "wales", "give": "private hopes"},
        show=False,
    )
    assert pairing.profile_text(db_session, amina) is None  # not shown: not used
    membership.save_profile(
        db_session,
        amina,
        {"role": "Runs the Valleys Trust", "region": "wales", "give": "private hopes"},
        show=True,
    )
    about = pairing.profile_text(db_session, amina)
    assert about is not None and "Runs the Valleys Trust" in about and "private" not in about
    people = [
        (m.user_id, m.name, m.tz, pairing.profile_text(db_session, m)) for m in (amina, rohan)
    ]
    _text, blocks = pairing_builders.intro_blocks(people, seed="1:1")
    assert "Runs the Valleys Trust" in json.dumps(blocks)


def test_hooks_are_registered_wherever_kettle_runs() -> None:
    for module in ("bot.app", "bot.server", "bot.runtime"):
        code = (
            f"import {module}\n"
            "from bot.services import checkins, duties, membership, pairing, rounds, meetings\n"
            "assert checkins.forget_member in duties.FORGET_HOOKS\n"
            "assert set(duties.MYDATA_HOOKS) >= "
            "{'checkins','meetings','pairing','rounds','knowledge'}\n"
            "assert meetings.health_figures in duties.HEALTH_PROVIDERS\n"
            "assert rounds.health_figures in duties.HEALTH_PROVIDERS\n"
            "assert membership.conversation_starter in pairing._profile_sources\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, (module, done.stderr[-2000:])
