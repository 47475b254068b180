"""Stories services on the real database: library search, and the files members send."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.delivery import queue
from bot.models import (
    Community,
    Consent,
    Delivery,
    DeliveryStatus,
    FileStatus,
    Member,
    Story,
    StoryFile,
    StoryKind,
)
from bot.services import stories
from tests.unit.test_knowledge import make_cop, story


@pytest.fixture
def cop(db_session: Session) -> tuple[Community, Member, Member]:
    return make_cop(db_session)


# -- the library -------------------------------------------------------------------------------


def test_parse_query_words_and_themes() -> None:
    q = stories.parse_query("Volunteers #Peer-Support #funding")
    assert q.words == ["volunteers"] and q.themes == ["peer support", "funding"]


def test_search_finds_numbers_and_ignores_bare_punctuation(db_session: Session, cop: tuple) -> None:
    community, amina, _ = cop
    story(db_session, community, amina, "100% volunteer led", Consent.COP_ONLY)
    story(db_session, community, amina, "Other", Consent.COP_ONLY)
    found = stories.search_stories(db_session, community.id, stories.parse_query("100%"))
    assert [s.title for s in found] == ["100% volunteer led"]
    assert stories.search_stories(db_session, community.id, stories.parse_query("%")) == []


# -- files a member sent: pending, kept or failed, within their room ---------------------------


def test_a_file_being_fetched_holds_its_room_and_a_failed_one_gives_it_back(
    db_session: Session, cop: tuple[Community, Member, Member]
) -> None:
    community, amina, _ = cop
    limits = stories.FileLimits(max_bytes=600, quota_bytes=1000)

    def send(file_id: str, size: int) -> tuple[StoryFile, bool]:
        return stories.record_file(
            db_session,
            community_id=community.id,
            uploader_user_id=amina.user_id,
            slack_file={"id": file_id, "name": f"{file_id}.m4a", "size": size},
            limits=limits,
        )

    first, fetch = send("F1", 600)
    assert fetch and first.status == FileStatus.PENDING
    assert send("F1", 600) == (first, False)  # the same file again: nothing more to fetch
    with pytest.raises(stories.FileRefused, match=r"\*F2.m4a\*.*larger than 600 bytes"):
        send("F2", 601)
    with pytest.raises(stories.FileRefused, match="already take 600 bytes of the 1000 bytes"):
        send("F2", 500)  # two messages at once cannot both squeeze in

    limit = stories.fetch_limit(db_session, first.id, limits)
    assert limit == stories.FetchLimit(max_bytes=600, by_quota=False, used=0)
    assert stories.fail_file(db_session, first.id) is first
    assert stories.fetch_limit(db_session, first.id, limits) is None
    second, fetch = send("F2", 500)
    assert fetch
    assert stories.fetch_limit(db_session, second.id, limits) == stories.FetchLimit(
        max_bytes=600, by_quota=False, used=0
    )
    assert stories.complete_file(db_session, second.id, sha256="ab" * 32, size=480)
    assert not stories.complete_file(db_session, second.id, sha256="ab" * 32, size=480)
    assert stories.file_bytes_used(db_session, community.id, amina.user_id) == 480
    with pytest.raises(stories.FileRefused, match="won't fit"):
        send("F1", 600)  # the failed one, sent again: the room is short now
    again, fetch = send("F1", 0)  # ...and when Slack does not say its size, the room limits it
    assert fetch and again is first
    limit = stories.fetch_limit(db_session, first.id, limits)
    assert limit == stories.FetchLimit(max_bytes=520, by_quota=True, used=480)


# -- a form's story and its thank-you, stored together ---------------------------------------


def _ledger_row(session: Session, key: str) -> tuple[object, ...] | None:
    """Every column of a ledger row but its id, key and time."""
    columns = [c for c in Delivery.__table__.c if c.name not in ("id", "key", "created_at")]
    row = session.execute(select(*columns).where(Delivery.key == key)).one_or_none()
    return tuple(row) if row is not None else None


def test_a_forms_story_and_its_thank_you_are_stored_once_as_queue_would_queue_it(
    db_session: Session, cop: tuple[Community, Member, Member]
) -> None:
    # On PostgreSQL one statement (bot/ledger.queued_with); on SQLite two INSERTs: the same rows.
    community, amina, _ = cop
    db_session.info["team_id"] = "T0001"
    draft = stories.StoryDraft(
        "Peer sessions", "We asked, then ran them.", StoryKind.SUCCESS, Consent.COP_ONLY, ["growth"]
    )

    def submit() -> int | None:
        return stories.store_with_thanks(
            db_session,
            community_id=community.id,
            author_id=amina.id,
            draft=draft,
            source_key="view:V1",
            thanks_to=amina.user_id,
            thanks="Thank you for sharing *Peer sessions*.",
        )

    first = submit()
    assert first is not None
    stored = db_session.get(Story, first)
    assert stored is not None and stored.created_at and stored.updated_at
    assert (stored.title, stored.kind, stored.consent, stored.themes, stored.author_id) == (
        "Peer sessions",
        StoryKind.SUCCESS,
        Consent.COP_ONLY,
        ["growth"],
        amina.id,
    )
    queue(db_session, "compare", amina.user_id, text="Thank you for sharing *Peer sessions*.")
    thanks = _ledger_row(db_session, stories.thanks_key(first))
    assert thanks is not None and thanks == _ledger_row(db_session, "compare")
    queued = db_session.scalars(
        select(Delivery).where(Delivery.key == stories.thanks_key(first))
    ).one()
    assert (queued.channel, queued.team_id, queued.status, queued.attempts) == (
        amina.user_id,
        "T0001",
        DeliveryStatus.PENDING,
        0,
    )
    assert queued.payload == {"text": "Thank you for sharing *Peer sessions*.", "blocks": None}
    # Slack's retry of the same form: nothing stored, nothing queued again.
    assert submit() is None
    assert db_session.scalar(select(func.count()).select_from(Story)) == 1
    assert (
        db_session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.key.like("story-thanks:%"))
        )
        == 1
    )
