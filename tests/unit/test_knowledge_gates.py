"""The movement gate on the real database: approvals of exact text, tips that keep their story's
consent, and the migration that brings existing rows under both rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import migrate
from bot.db import make_engine
from bot.errors import NotAConvenor
from bot.models import (
    CalloutStatus,
    Community,
    Consent,
    Member,
    Publication,
    PublicationStatus,
    Story,
    Tip,
)
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


def test_tips_keep_the_narrowest_consent_their_story_ever_had(
    db_session: Session, amina: Member
) -> None:
    gate = knowledge.may_go_to_movement
    cid = amina.community_id
    named = told(db_session, amina, "Named", Consent.MOVEMENT_NAMED)
    narrowed = told(db_session, amina, "Narrowed", Consent.MOVEMENT_NAMED)
    withdrawn = approved(db_session, told(db_session, amina, "Withdrawn", Consent.MOVEMENT_NAMED))
    tips = {
        title: knowledge.add_tip(
            db_session, community_id=cid, text=f"From {title}", user_id="UC", story=s, now=NOW
        )
        for title, s in (("named", named), ("narrowed", narrowed), ("withdrawn", withdrawn))
    }
    own = knowledge.add_tip(db_session, community_id=cid, text="Mine", user_id="UC", now=NOW)
    assert tips["named"].consent == Consent.MOVEMENT_NAMED and gate(db_session, tips["named"])
    assert own.consent == Consent.MOVEMENT_ANONYMOUS and gate(db_session, own)

    narrowed.consent = Consent.COP_ONLY
    publication = knowledge.current_publication(db_session, withdrawn.id)
    assert publication is not None
    knowledge.withdraw(db_session, publication.id, user_id="UA", is_convenor=False, now=NOW)
    db_session.flush()
    assert tips["narrowed"].consent == tips["withdrawn"].consent == Consent.COP_ONLY
    narrowed.consent = Consent.MOVEMENT_NAMED  # widening the story later widens no tip
    db_session.flush()
    assert tips["narrowed"].consent == Consent.COP_ONLY

    for gone in (named, narrowed, withdrawn):
        db_session.delete(gone)
    db_session.flush()
    db_session.expire_all()
    kept = {t.text: t for t in db_session.scalars(select(Tip).where(Tip.community_id == cid))}
    assert all(t.story_id is None for t in kept.values())
    assert gate(db_session, kept["From named"])
    assert not gate(db_session, kept["From narrowed"])
    assert not gate(db_session, kept["From withdrawn"])
    unknown = Tip(community_id=cid, text="Who knows", created_by="")
    db_session.add(unknown)
    db_session.flush()
    assert unknown.consent is None and not gate(db_session, unknown)


def test_the_migration_keeps_approvals_and_gives_tips_their_storys_consent(
    tmp_path: Path,
) -> None:
    """Rows written before 0010k: a publication keeps its approval, a tip takes its story's
    consent, and a tip whose story is already gone is of unknown origin."""
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
        secret = story(session, community, member, "Secret", Consent.COP_ONLY)
        session.add_all(
            [
                Tip(community_id=community.id, story_id=secret.id, text="T1", created_by="UC"),
                Tip(community_id=community.id, story_id=None, text="T2", created_by="UC"),
            ]
        )
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
        consents = {t.text: t.consent for t in session.scalars(select(Tip))}
        assert consents == {"T1": Consent.COP_ONLY, "T2": None}
    engine.dispose()


def test_a_convenors_say_reaches_their_own_cops_stories_and_callouts_only(
    db_session: Session, amina: Member
) -> None:
    elsewhere = Community(slug="elsewhere", name="Elsewhere CoP", settings={})
    db_session.add(elsewhere)
    db_session.flush()
    ours = approved(db_session, told(db_session, amina, "Ours", Consent.MOVEMENT_NAMED))
    publication = knowledge.current_publication(db_session, ours.id)
    assert publication is not None
    as_convenor = {"user_id": "UC", "is_convenor": True, "now": NOW}
    with pytest.raises(knowledge.NotTheAuthor):
        knowledge.withdraw(db_session, publication.id, community_id=elsewhere.id, **as_convenor)
    with pytest.raises(knowledge.NotTheAuthor):
        knowledge.withdraw_story(db_session, ours, community_id=elsewhere.id, **as_convenor)
    assert knowledge.may_go_to_movement(db_session, ours)
    callout = knowledge.create_callout(
        db_session, community_id=amina.community_id, question="What worked?", user_id="UC", now=NOW
    )
    with pytest.raises(NotAConvenor):
        knowledge.close_callout(db_session, callout.id, community_id=elsewhere.id, **as_convenor)
    assert callout.status == CalloutStatus.OPEN

    here = amina.community_id
    knowledge.close_callout(db_session, callout.id, community_id=here, **as_convenor)
    assert callout.status == CalloutStatus.CLOSED
    knowledge.withdraw(db_session, publication.id, community_id=here, **as_convenor)
    assert not knowledge.may_go_to_movement(db_session, ours)


def test_tips_follow_their_story_from_one_listener() -> None:
    """The hook that narrows tips is registered once, however many modules load knowledge."""
    import bot.app  # noqa: F401  (loads every capability, as a running Kettle does)
    from bot.services import knowledge  # noqa: F401
    from bot.services.knowledge import tips

    listeners = list(Session.dispatch.before_flush._clslevel[Session])  # type: ignore[attr-defined]
    ours = [f for f in listeners if f.__qualname__ == tips._tips_follow_their_story.__qualname__]
    assert ours == [tips._tips_follow_their_story]
