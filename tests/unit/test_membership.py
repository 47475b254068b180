"""Curation rules on the real database: the mix, criteria, capacity, roles, forgetting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.errors import InvalidInput, NotAConvenor
from bot.models import (
    Application,
    ApplicationStatus,
    Community,
    Consent,
    Decision,
    DecisionKind,
    Delivery,
    Member,
    Role,
    Story,
    StoryKind,
)
from bot.services import duties, membership
from bot.services.membership import SlackProfile

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

ANSWERS = {
    "role": "Manager",
    "network_type": "community_business",
    "years": "6-10",
    "level": "early",
    "region": "wales",
    "commitment": "short",
    "give": "Stories",
    "get": "Peers",
}


@pytest.fixture
def community(db_session: Session) -> Community:
    settings = Settings(bot_token="xoxb-x", signing_secret="0" * 32, cop_channel="C0COP")
    return membership.ensure_community(db_session, settings)


def person(
    session: Session,
    community: Community,
    user_id: str,
    *,
    role: Role | None = None,
    answers: dict | None = None,
) -> Member:
    member = membership.admit(
        session, community, SlackProfile(user_id, user_id.title(), None), role=role
    )
    if answers is not None:
        membership.save_profile(session, member, answers, show=False)
    return member


def applied(
    session: Session, community: Community, user_id: str, *, source_key: str
) -> tuple[Application, bool]:
    """`user_id` applies with ANSWERS, as the form would submit it."""
    return membership.submit_application(
        session,
        community,
        user_id=user_id,
        name=user_id.removeprefix("U"),
        answers=ANSWERS,
        agreed_norms=True,
        source_key=source_key,
        now=NOW,
    )


def test_validate_answers_cleans_and_reports_by_question() -> None:
    assert membership.validate_answers({**ANSWERS, "role": "  Network   manager "})["role"] == (
        "Network manager"
    )
    with pytest.raises(InvalidInput) as exc:
        membership.validate_answers({**ANSWERS, "region": "atlantis", "give": ""})
    assert set(exc.value.field_errors) == {"region", "give"}


def test_criteria_checked_from_answers_and_left_to_convenors_otherwise() -> None:
    results = [ok for _c, ok in membership.criteria_met(ANSWERS)]
    assert results == [True, True, False, None]


def test_mix_counts_before_and_after_and_calls_out_thin_spots(
    db_session: Session, community: Community
) -> None:
    for i in range(3):
        person(db_session, community, f"UA{i}", answers={**ANSWERS, "region": "north"})
    mix = {d.key: d for d in membership.group_mix(db_session, community.id, ANSWERS)}
    region = {v.value: v for v in mix["region"].values}
    assert (region["north"].before, region["north"].after, region["north"].thin) == (3, 3, False)
    assert (region["wales"].before, region["wales"].after, region["wales"].thin) == (0, 1, True)
    assert mix["region"].fills_thin_spot and "Wales" in mix["region"].thin_labels


def test_the_directorys_mix_counts_only_answers_their_owners_show(
    db_session: Session, community: Community
) -> None:
    shown = person(db_session, community, "UA", answers={**ANSWERS, "region": "north"})
    membership.save_profile(db_session, shown, {**ANSWERS, "region": "north"}, show=True)
    person(db_session, community, "UB", answers=ANSWERS)  # Wales, kept back
    seen = {
        d.key: {v.value: v.before for v in d.values}
        for d in membership.directory_mix(db_session, community.id)
    }
    assert seen["region"]["north"] == 1 and seen["region"]["wales"] == 0
    review = {
        d.key: {v.value: v.before for v in d.values}
        for d in membership.group_mix(db_session, community.id)
    }
    assert review["region"]["wales"] == 1  # the convenors' review counts every profile


def test_capacity_waitlists_approvals_and_counts_only_members(
    db_session: Session, community: Community
) -> None:
    convenor = person(db_session, community, "UC", role=Role.CONVENOR)
    person(db_session, community, "UA")
    membership.set_capacity(db_session, community, 1, actor=convenor, now=NOW)
    application, created = applied(db_session, community, "UX", source_key="view:1")
    assert created and membership.is_curated(community)
    outcome = membership.decide(
        db_session,
        community,
        application,
        status=ApplicationStatus.APPROVED,
        reason="",
        actor=convenor,
        now=NOW,
    )
    assert outcome.full and outcome.status == ApplicationStatus.WAITLISTED
    assert membership.get_member(db_session, community.id, "UX") is None


def test_only_a_convenor_decides_and_decline_needs_a_reason(
    db_session: Session, community: Community
) -> None:
    convenor = person(db_session, community, "UC", role=Role.CONVENOR)
    member = person(db_session, community, "UA")
    application, _ = applied(db_session, community, "UX", source_key="view:2")
    with pytest.raises(NotAConvenor):
        membership.decide(
            db_session,
            community,
            application,
            status=ApplicationStatus.APPROVED,
            reason="",
            actor=member,
            now=NOW,
        )
    with pytest.raises(InvalidInput):
        membership.decide(
            db_session,
            community,
            application,
            status=ApplicationStatus.DECLINED,
            reason=" ",
            actor=convenor,
            now=NOW,
        )
    assert application.status == ApplicationStatus.PENDING


def test_find_member_by_mention_id_or_name(db_session: Session, community: Community) -> None:
    amina = person(db_session, community, "UAMINA")
    amina.name = "Amina Khan"
    assert membership.find_member(db_session, community.id, "<@UAMINA|amina> why") == (amina, "why")
    assert membership.find_member(db_session, community.id, "@amina khan moved on") == (
        amina,
        "moved on",
    )


def test_curated_start_keeps_hand_added_people_out(
    db_session: Session, community: Community
) -> None:
    membership.seed_convenors(db_session, community, [SlackProfile("UC", "C", None)])
    membership.sync_members(db_session, community, channel_members=[SlackProfile("UA", "A", None)])
    assert membership.get_member(db_session, community.id, "UA") is not None  # grandfathered
    community.settings = {"curated": True}
    membership.sync_members(
        db_session,
        community,
        channel_members=[SlackProfile("UA", "A", None), SlackProfile("UB", "B", None)],
    )
    assert membership.get_member(db_session, community.id, "UB") is None
    assert membership.unapproved_in_channel(db_session, community, ["UA", "UB", "UC"]) == ["UB"]


def test_forget_runs_hooks_and_anonymises(db_session: Session, community: Community) -> None:
    person(db_session, community, "UC", role=Role.CONVENOR)
    member = person(db_session, community, "UA", answers=ANSWERS)
    db_session.add(
        Story(
            community_id=community.id,
            author_id=member.id,
            title="t",
            body="b",
            kind=StoryKind.IDEA,
            consent=Consent.COP_ONLY,
            themes=[],
        )
    )
    membership.log_decision(
        db_session,
        community,
        DecisionKind.APPROVED,
        subject_user_id="UA",
        subject_name="Ua",
        actor=None,
        reason="great",
        now=NOW,
    )
    seen: list[str] = []
    duties.FORGET_HOOKS.append(lambda session, m: seen.append(m.user_id))
    try:
        result = membership.forget(db_session, community, "UA", keep_stories=True, now=NOW)
    finally:
        duties.FORGET_HOOKS.pop()
    assert seen == ["UA"] and result.stories_kept == 1
    assert membership.get_member(db_session, community.id, "UA") is None
    assert db_session.scalars(select(Story)).one().author_id is None
    subjects = {d.subject_user_id for d in db_session.scalars(select(Decision))}
    assert "UA" not in subjects


def test_forget_reaches_messages_sent_to_their_dm_by_its_channel_id(
    db_session: Session, community: Community
) -> None:
    person(db_session, community, "UC", role=Role.CONVENOR)
    person(db_session, community, "UA")
    payload = {"text": "Thanks for sending *my-secret-notes.txt*", "blocks": None}
    db_session.add_all(
        [
            Delivery(key="welcome:1", channel="UA"),
            Delivery(key="file-question:D0UA:1.2", channel="D0UA", payload=payload),
            Delivery(key="checkin:9:2026-W14", channel="UC"),
        ]
    )
    db_session.flush()
    membership.forget(db_session, community, "UA", keep_stories=False, now=NOW, dm_channel="D0UA")
    assert db_session.scalars(select(Delivery.key)).all() == ["checkin:9:2026-W14"]


def test_the_last_convenor_cannot_stand_down_leave_or_be_forgotten(
    db_session: Session, community: Community
) -> None:
    convenor = person(db_session, community, "UC", role=Role.CONVENOR)
    with pytest.raises(membership.LastConvenor):
        membership.stand_down(db_session, community, convenor, actor=convenor, now=NOW)
    with pytest.raises(membership.LastConvenor):
        membership.leave(db_session, community, convenor, now=NOW)
    with pytest.raises(membership.LastConvenor):
        membership.forget(db_session, community, "UC", keep_stories=False, now=NOW)


def test_role_changes_and_ends_of_membership_are_logged_with_who_and_why(
    db_session: Session, community: Community
) -> None:
    convenor = person(db_session, community, "UC", role=Role.CONVENOR)
    promoted = person(db_session, community, "UP")
    leaver = person(db_session, community, "UL")
    removed = person(db_session, community, "UR")
    assert membership.appoint(db_session, community, promoted, actor=convenor, now=NOW)
    assert not membership.appoint(db_session, community, promoted, actor=convenor, now=NOW)
    assert membership.stand_down(db_session, community, promoted, actor=convenor, now=NOW)
    assert not membership.stand_down(db_session, community, promoted, actor=convenor, now=NOW)
    membership.leave(db_session, community, leaver, now=NOW)
    membership.remove(db_session, community, removed, reason=" Moved on ", actor=convenor, now=NOW)
    assert (promoted.role, leaver.is_active, removed.is_active) == (Role.MEMBER, False, False)
    log = [
        (d.kind, d.subject_user_id, d.actor_name, d.reason)
        for d in membership.decision_log(db_session, community.id)
    ]
    assert log == [
        (DecisionKind.REMOVED, "UR", "Uc", "Moved on"),
        (DecisionKind.LEFT, "UL", "Ul", None),
        (DecisionKind.STOOD_DOWN, "UP", "Uc", None),
        (DecisionKind.APPOINTED, "UP", "Uc", None),
    ]
