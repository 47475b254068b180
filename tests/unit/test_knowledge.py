"""Knowledge services on the real database: export for sharing vs backup, health."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from bot.builders.knowledge import health_chart, health_summary
from bot.models import (
    CheckinPause,
    Community,
    Consent,
    Delivery,
    DeliveryStatus,
    Meeting,
    MeetingPulse,
    Member,
    Profile,
    Role,
    Round,
    RoundContribution,
    RoundKind,
    Story,
    StoryKind,
)
from bot.services import duties, knowledge
from bot.services.knowledge import export

NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)


def make_cop(session: Session) -> tuple[Community, Member, Member]:
    """A community with Amina (a long-standing member) and Rohan (joined five days ago)."""
    community = Community(slug="unit", name="Unit CoP", settings={})
    session.add(community)
    session.flush()
    amina = Member(
        community_id=community.id, user_id="UA", name="Amina", joined_at=NOW - timedelta(days=200)
    )
    rohan = Member(
        community_id=community.id,
        user_id="UR",
        name="Rohan",
        joined_at=NOW - timedelta(days=5),
        role=Role.MEMBER,
    )
    session.add_all([amina, rohan])
    session.flush()
    return community, amina, rohan


@pytest.fixture
def cop(db_session: Session) -> tuple[Community, Member, Member]:
    return make_cop(db_session)


def story(
    session: Session,
    community: Community,
    author: Member,
    title: str,
    consent: Consent,
    *,
    days_ago: int = 1,
    themes: list[str] | None = None,
    kind: StoryKind = StoryKind.LEARNING,
) -> Story:
    row = Story(
        community_id=community.id,
        author_id=author.id,
        title=title,
        body=f"{title} body",
        kind=kind,
        consent=consent,
        themes=themes or [],
        created_at=NOW - timedelta(days=days_ago),
    )
    session.add(row)
    session.flush()
    return row


def approved(session: Session, row: Story) -> Story:
    """Proposed and approved by its author, as the publishing flow does it."""
    author = knowledge.author_user_id(session, row) or ""
    publication = knowledge.propose(session, row, proposer_user_id="UC", now=NOW)
    knowledge.approve(session, publication.id, user_id=author, now=NOW)
    return row


def test_export_for_sharing_leaves_out_cop_only_and_unnamed(
    db_session: Session, cop: tuple
) -> None:
    community, amina, rohan = cop
    story(db_session, community, amina, "Secret", Consent.COP_ONLY)
    approved(db_session, story(db_session, community, amina, "Anon", Consent.MOVEMENT_ANONYMOUS))
    approved(db_session, story(db_session, community, rohan, "Named", Consent.MOVEMENT_NAMED))
    story(db_session, community, rohan, "Unasked", Consent.MOVEMENT_NAMED)
    for fmt in ("json", "csv", "markdown"):
        text = export.render(db_session, fmt=fmt, purpose=export.SHARING, community_id=community.id)
        assert "Secret" not in text and "Amina" not in text and "UA" not in text
        assert "Unasked" not in text
        assert "Anon" in text and "Named" in text and "Rohan" in text
    rows = list(
        csv.DictReader(io.StringIO(export.render(db_session, fmt="csv", purpose="sharing")))
    )
    assert {r["title"]: r["author"] for r in rows if r["title"] in ("Anon", "Named")} == {
        "Anon": "",
        "Named": "Rohan",
    }
    backup = json.loads(
        export.render(db_session, fmt="json", purpose=export.BACKUP, community_id=community.id)
    )
    assert backup["purpose"] == "backup" and "stories" in backup["tables"]
    titles = {r["title"]: r["author"] for r in backup["library"]}
    assert titles["Secret"] == "Amina" and titles["Anon"] == "Amina"


def test_a_backup_keeps_calendar_dates_as_iso_text(db_session: Session, cop: tuple) -> None:
    """Meetings, RSVPs and holiday pauses are kept by calendar date: a backup holds them too."""
    community, amina, _rohan = cop
    meeting = Meeting(
        community_id=community.id,
        convenor_id=amina.id,
        title="Monthly",
        first_date=date(2026, 12, 1),
        start_minute=600,
        tz="Europe/London",
        duration_minutes=60,
        video_url="https://meet.example/cop",
        channel_id="C0COP",
    )
    db_session.add_all([meeting, CheckinPause(member_id=amina.id, until=date(2027, 1, 4))])
    db_session.flush()
    backup = json.loads(
        export.render(db_session, fmt="json", purpose=export.BACKUP, community_id=community.id)
    )
    assert [m["first_date"] for m in backup["tables"]["meetings"]] == ["2026-12-01"]
    assert [p["until"] for p in backup["tables"]["checkin_pauses"]] == ["2027-01-04"]


def test_a_backup_of_one_community_holds_nothing_of_another(db_session: Session) -> None:
    """Rows that belong to a community through a parent (a pulse through its meeting, a pause
    or a profile through its member, a contribution through its round) stay with it."""
    cops = []
    for slug in ("north", "south"):
        community = Community(slug=slug, name=slug, channel_id=f"C{slug}", settings={})
        db_session.add(community)
        db_session.flush()
        member = Member(community_id=community.id, user_id=f"U{slug}", name=f"{slug} member")
        db_session.add(member)
        db_session.flush()
        meeting = Meeting(
            community_id=community.id,
            title=f"{slug} meeting",
            first_date=date(2026, 12, 1),
            start_minute=600,
            tz="UTC",
            duration_minutes=60,
            video_url="https://meet.example/cop",
            channel_id=f"C{slug}",
        )
        round_ = Round(
            community_id=community.id,
            kind=RoundKind.AI,
            topic=f"{slug} topic",
            channel_id=f"C{slug}",
        )
        db_session.add_all(
            [meeting, round_, CheckinPause(member_id=member.id, until=date(2027, 1, 4))]
        )
        db_session.flush()
        db_session.add_all(
            [
                MeetingPulse(
                    meeting_id=meeting.id,
                    occurrence=date(2026, 12, 1),
                    member_id=member.id,
                    score=4,
                    note=f"{slug} pulse note",
                ),
                Profile(member_id=member.id, answers={"role": f"{slug} role"}),
                RoundContribution(
                    round_id=round_.id, phase_index=0, member_id=member.id, text=f"{slug} words"
                ),
                Delivery(key=f"welcome:{slug}", channel=member.user_id),
            ]
        )
        db_session.flush()
        cops.append(community)
    backup = export.render(db_session, fmt="json", purpose=export.BACKUP, community_id=cops[0].id)
    assert "north pulse note" in backup and "north role" in backup and "north words" in backup
    assert "welcome:north" in backup
    assert "south" not in backup and "Usouth" not in backup
    tables = json.loads(backup)["tables"]
    assert len(tables["checkin_pauses"]) == 1 and len(tables["deliveries"]) == 1


def test_health_report_tiers_provider_and_chart(db_session: Session, cop: tuple) -> None:
    community, amina, _rohan = cop
    for i in range(4):
        story(
            db_session,
            community,
            amina,
            f"Story {i}",
            Consent.COP_ONLY,
            days_ago=60 + i,
            kind=StoryKind.SUCCESS,
        )

    def checkins(
        session: Session, community_id: int, since: datetime, now: datetime
    ) -> duties.HealthFigures:
        return duties.HealthFigures(
            rates={"Check-ins shared": 0.75, "Round participation": 0.5},
            counted={"Check-ins shared": 3, "Round participation": 2},
            notes=["from check-ins"],
        )

    duties.register_health_provider(checkins)
    try:
        report = knowledge.health_report(db_session, community, now=NOW)
    finally:
        duties.HEALTH_PROVIDERS.remove(checkins)
    assert report.tiers == {"core": ["Amina"], "active": [], "peripheral": ["Rohan"]}
    assert report.new_members == ["Rohan"] and report.quiet_members == ["Amina"]
    assert report.rates["Check-ins shared"] == 0.75
    assert report.rates["Meeting participation"] is None
    # Over two people, a rate could be worked back to them: it is withheld.
    assert report.rates["Round participation"] is None
    assert report.too_few == ["Round participation"]
    assert sum(c.get("success", 0) for _m, c in report.stories_by_month) == 4
    summary = health_summary(report)
    assert "75%" in summary and "not measured yet" in summary and "50%" not in summary
    assert "Round participation: too few shared to show" in summary
    png = health_chart(report)
    assert png.startswith(b"\x89PNG")


def test_health_report_counts_only_this_communitys_checkins(
    db_session: Session, cop: tuple
) -> None:
    community, _amina, _rohan = cop
    other = Community(slug="other", name="Other CoP", settings={})
    db_session.add(other)
    db_session.flush()
    stranger = Member(community_id=other.id, user_id="UX", name="Xu", joined_at=NOW)
    db_session.add(stranger)
    db_session.flush()
    db_session.add(
        Delivery(
            key=f"checkin:{stranger.id}:2026-W50",
            channel="UX",
            status=DeliveryStatus.SENT,
            created_at=NOW - timedelta(days=1),
        )
    )
    db_session.flush()
    report = knowledge.health_report(db_session, community, now=NOW)
    assert not any("check-ins were sent" in note for note in report.notes)
    assert any(
        "1 weekly check-ins were sent" in note
        for note in knowledge.health_report(db_session, other, now=NOW).notes
    )


def test_every_column_that_holds_a_secret_is_left_out_of_a_backup() -> None:
    """A new table or column holding a token (or a webhook, or a secret) is caught here."""
    import re

    from bot.models import Base
    from bot.models.workspaces import OAUTH_STATES_TABLE, SECRET_COLUMNS

    looks_secret = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.c
        if re.search(r"token$|secret|webhook_url", column.name)
        or (table.name, column.name) == (OAUTH_STATES_TABLE, "state")
    }
    left_out = {(table, column) for table, cols in SECRET_COLUMNS.items() for column in cols}
    assert looks_secret and looks_secret <= left_out
