"""The movement gate on the real database: approvals of exact text, and the migration that brings
existing publications under the rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import migrate
from bot.db import make_engine
from bot.models import Community, Consent, Member, Publication, PublicationStatus, Story
from bot.services import knowledge
from tests.unit.test_knowledge import NOW, approved, story


@pytest.fixture
def amina(db_session: Session) -> Member:
    community = Community(slug="gates", name="Gates CoP", settings={})
    db_session.add(community)
    db_session.flush()
    member = Member(community_id=community.id, user_id="UA", name="Amina", joined_at=NOW)
    db_session.add(member)
    db_session.flush()
    return member


def told(session: Session, member: Member, title: str, consent: Consent) -> Story:
    community = session.get(Community, member.community_id)
    assert community is not None
    return story(session, community, member, title, consent)


def test_only_a_standing_approval_of_the_exact_text_lets_a_story_out(
    db_session: Session, amina: Member
) -> None:
    gate = knowledge.may_go_to_movement
    row = told(db_session, amina, "Rota", Consent.MOVEMENT_NAMED)
    assert not gate(db_session, row)  # consent alone is not enough
    first = knowledge.propose(db_session, row, proposer_user_id="UC", now=NOW)
    assert not gate(db_session, row)
    knowledge.decline(db_session, first.id, user_id="UA", now=NOW)
    second = knowledge.propose(db_session, row, proposer_user_id="UC", now=NOW)
    assert second.id != first.id and not gate(db_session, row)  # the no stands
    knowledge.approve(db_session, second.id, user_id="UA", now=NOW)
    assert gate(db_session, row)

    row.themes = ["rota", "new theme"]  # anything the author was shown counts as the text
    assert not gate(db_session, row)
    row.themes = []
    assert gate(db_session, row)
    row.consent = Consent.MOVEMENT_ANONYMOUS  # naming changes what they approved, too
    assert not gate(db_session, row)
    third = knowledge.propose(db_session, row, proposer_user_id="UC", now=NOW)
    with pytest.raises(knowledge.NotTheAuthor):
        knowledge.approve(db_session, third.id, user_id="UC", now=NOW)
    knowledge.approve(db_session, third.id, user_id="UA", now=NOW)
    assert gate(db_session, row)
    row.consent = Consent.COP_ONLY
    assert not gate(db_session, row)


def test_an_old_proposal_cannot_be_approved_once_the_story_changed(
    db_session: Session, amina: Member
) -> None:
    row = told(db_session, amina, "Market", Consent.MOVEMENT_ANONYMOUS)
    old = knowledge.propose(db_session, row, proposer_user_id="UC", now=NOW)
    row.body = "A new telling."
    fresh = knowledge.propose(db_session, row, proposer_user_id="UC", now=NOW)
    assert fresh.id != old.id
    with pytest.raises(knowledge.StoryChanged):
        knowledge.approve(db_session, old.id, user_id="UA", now=NOW)
    assert old.status == PublicationStatus.PROPOSED
    assert not knowledge.may_go_to_movement(db_session, row)


def test_the_migration_keeps_approvals(tmp_path: Path) -> None:
    """Rows written before 0010k: a publication keeps its approval of the story as it stands."""
    url = f"sqlite:///{tmp_path / 'gates.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        community = Community(slug="m", name="M", settings={})
        session.add(community)
        session.flush()
        member = Member(community_id=community.id, user_id="UA", name="Amina", joined_at=NOW)
        session.add(member)
        session.flush()
        out = approved(session, story(session, community, member, "Out", Consent.MOVEMENT_NAMED))
        session.commit()
        out_id = out.id
    config = migrate.alembic_config(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0009")
    assert migrate.upgrade(engine) is True
    with Session(engine) as session:
        publication = session.scalars(select(Publication)).one()
        assert publication.text_sha256 is not None
        out_story = session.get(Story, out_id)
        assert out_story is not None and knowledge.may_go_to_movement(session, out_story)
    engine.dispose()
