"""Forget-me, my data and the health report across every capability, through signed requests."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.builders.ids import MembershipIds
from bot.models import (
    Checkin,
    CheckinStatus,
    Consent,
    Delivery,
    DeliveryStatus,
    Meeting,
    MeetingRsvp,
    Member,
    PairingPreference,
    Publication,
    PublicationStatus,
    Round,
    RoundContribution,
    RoundKind,
    RoundOptOut,
    Rsvp,
    Story,
    StoryKind,
    utcnow,
)
from bot.services import checkins
from tests.conftest import CONVENOR, MEMBER, MOVEMENT
from tests.harness import Kettle


def seed(kettle: Kettle) -> None:
    """MEMBER has said something in every capability; the convenor has too."""
    now = utcnow()
    with kettle.db() as session:
        me = session.scalars(select(Member).where(Member.user_id == MEMBER)).one()
        conv = session.scalars(select(Member).where(Member.user_id == CONVENOR)).one()
        week = checkins.week_of(now.date())
        for m in (me, conv):
            session.add(
                Checkin(
                    community_id=m.community_id,
                    member_id=m.id,
                    week=week,
                    status=CheckinStatus.ANSWERED,
                    on_mind=f"{m.user_id} on my mind",
                )
            )
            session.add(
                Delivery(
                    key=checkins.checkin_key(m.id, week),
                    channel=m.user_id,
                    status=DeliveryStatus.SENT,
                )
            )
            session.add(PairingPreference(member_id=m.id, opted_in=True))
        meeting = Meeting(
            community_id=me.community_id,
            convenor_id=conv.id,
            title="Monthly",
            first_date=(now - timedelta(days=3)).date(),
            start_minute=9 * 60,
            tz="UTC",
            duration_minutes=60,
            video_url="https://meet.example/x",
            channel_id="C0COP",
        )
        ai = Round(
            community_id=me.community_id,
            kind=RoundKind.AI,
            topic="Best of us",
            channel_id="C0COP",
            started_at=now - timedelta(days=2),
        )
        session.add_all([meeting, ai])
        session.flush()
        session.add(
            MeetingRsvp(
                meeting_id=meeting.id,
                occurrence=meeting.first_date,
                member_id=me.id,
                response=Rsvp.GOING,
            )
        )
        session.add(RoundContribution(round_id=ai.id, phase_index=0, member_id=me.id, text="Mine"))
        session.add(RoundOptOut(member_id=me.id))
        told = Story(
            community_id=me.community_id,
            author_id=me.id,
            title="My named win",
            body="b",
            kind=StoryKind.SUCCESS,
            consent=Consent.MOVEMENT_NAMED,
            themes=[],
        )
        session.add(told)
        session.flush()
        session.add(
            Publication(
                story_id=told.id,
                status=PublicationStatus.PUBLISHED,
                proposed_by=CONVENOR,
                author_user_id=MEMBER,
                named=True,
                channel_id=MOVEMENT,
                message_ts="1700000000.000100",
            )
        )


def test_mydata_then_forget_reach_every_capability(kettle: Kettle) -> None:
    seed(kettle)
    kettle.command(MEMBER, "/cop", "mydata")
    upload = kettle.fake.dm_messages(MEMBER)[-1]
    data = json.loads(kettle.fake.file_bytes(upload["files"][0]["id"]) or b"{}")
    assert data["checkins"]["checkins"][0]["on_mind"] == f"{MEMBER} on my mind"
    assert data["meetings"]["rsvps"][0]["answer"] == "going"
    assert data["pairing"]["preference"]["opted_in"] is True
    assert data["rounds"]["contributions"][0]["text"] == "Mine"
    assert data["knowledge"]["publications_of_your_stories"][0]["story"] == "My named win"

    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    with kettle.db() as session:
        assert session.scalars(select(Member).where(Member.user_id == MEMBER)).all() == []
        for model in (Checkin, PairingPreference):
            assert session.scalar(select(func.count()).select_from(model)) == 1  # the convenor's
        for model in (MeetingRsvp, RoundContribution, RoundOptOut, Story, Publication):
            assert session.scalar(select(func.count()).select_from(model)) == 0
    # The movement's post that carried their story came down too.
    deleted = kettle.fake.calls_to("chat.delete")
    assert any(c.get("ts") == "1700000000.000100" for c in deleted)


def test_health_shows_the_capabilities_rates(kettle: Kettle) -> None:
    seed(kettle)
    kettle.command(CONVENOR, "/cop", "health")
    uploads = kettle.fake.calls_to("files.completeUploadExternal")
    comment = uploads[0]["initial_comment"]
    # Two people in the seed, one check-in each kept to "just me": every figure is too few.
    for rate in ("Check-ins shared", "Round participation", "Meeting participation"):
        assert f"{rate}: too few shared to show" in comment
    assert "not measured yet" not in comment and "%" not in comment
