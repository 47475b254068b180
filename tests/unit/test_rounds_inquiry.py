"""Appreciative inquiry's rules and the asynchronous timing engine, on the real database: the
proposition's form, votes, the positive core, prompts at a sensible local hour for any kind of
round, invitations once a round, the library's consent, and forget-me of what AI adds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import InvalidInput, NotFound
from bot.models import (
    ChoiceKind,
    Community,
    Meeting,
    Member,
    Role,
    Round,
    RoundMode,
    RoundVote,
    Story,
)
from bot.models.meetings import Repeat
from bot.services import rounds as svc
from bot.services.rounds.forget import forget_member

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # 10:00 in London, 05:00 in New York


def people(session: Session) -> tuple[Community, Member, Member, Member]:
    community = Community(slug="t", name="T", channel_id="C1", settings={})
    session.add(community)
    session.flush()
    convenor = Member(
        community_id=community.id,
        user_id="UC",
        name="Esther",
        role=Role.CONVENOR,
        tz="Europe/London",
    )
    amina = Member(community_id=community.id, user_id="UA", name="Amina", tz="America/New_York")
    tama = Member(community_id=community.id, user_id="UT", name="Tama", tz="Pacific/Auckland")
    session.add_all([convenor, amina, tama])
    session.flush()
    return community, convenor, amina, tama


def ai_round(
    session: Session, community: Community, convenor: Member, mode: RoundMode, hours: int = 24
) -> Round:
    r, _ = svc.start_ai(
        session,
        community=community,
        facilitator=convenor,
        topic="Meetings we can't miss",
        minutes_per_phase=hours * 60 if mode == RoundMode.ASYNC else 10,
        allow_anonymous=True,
        now=NOW,
        mode=mode,
    )
    r.thread_ts, r.announced_phase = "1.0", 0
    session.flush()
    return r


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("We are a community where every newcomer is welcomed by name", True),
        ("Our meetings begin with a story of what went well", True),
        ("We will greet every newcomer", False),
        ("We should greet every newcomer", False),
        ("We are going to listen more", False),
        ("We are not a clique", False),
        ("Nobody is left out", False),
        ("We don't talk over each other", False),
    ],
)
def test_a_provocative_proposition_is_present_tense_and_affirmative(text: str, ok: bool) -> None:
    if ok:
        assert svc.check_proposition(text, field="text") == text
    else:
        with pytest.raises(InvalidInput) as refused:
            svc.check_proposition(text, field="text")
        assert "text" in refused.value.field_errors


def test_topic_votes_are_one_each_and_move(db_session: Session) -> None:
    community, convenor, amina, tama = people(db_session)
    a, _ = svc.propose(
        db_session, community_id=community.id, member=amina, kind=ChoiceKind.TOPIC, text="A"
    )
    b, _ = svc.propose(
        db_session, community_id=community.id, member=tama, kind=ChoiceKind.TOPIC, text="B"
    )
    assert svc.tally(db_session, [a, b]) == {a.id: 0, b.id: 0}  # proposing is not voting
    svc.vote(db_session, a, tama)
    svc.vote(db_session, b, tama)  # moved, not added
    svc.vote(db_session, b, amina)
    svc.vote(db_session, b, amina)  # again: still one
    assert svc.tally(db_session, [a, b]) == {a.id: 0, b.id: 2}
    r, _ = svc.start_ai(
        db_session,
        community=community,
        facilitator=convenor,
        topic="B",
        minutes_per_phase=0,
        allow_anonymous=False,
        now=NOW,
        topic_id=b.id,
    )
    assert r.settings["topic_votes"] == 2 and b.chosen and b.round_id == r.id
    assert svc.open_topics(db_session, community.id) == [a]
    svc.vote(db_session, a, tama)  # their vote was set free when B was chosen
    assert svc.tally(db_session, [a]) == {a.id: 1}


def test_the_positive_core_is_what_members_agree_on(db_session: Session) -> None:
    community, convenor, amina, tama = people(db_session)
    r = ai_round(db_session, community, convenor, RoundMode.LIVE)
    welcome, _ = svc.propose(
        db_session,
        community_id=community.id,
        member=amina,
        kind=ChoiceKind.THEME,
        text="Welcoming by name",
        round_=r,
    )
    svc.propose(
        db_session,
        community_id=community.id,
        member=tama,
        kind=ChoiceKind.THEME,
        text="Learning out loud",
        round_=r,
    )
    assert {t.text for t in svc.core_themes(db_session, r)} == {
        "Welcoming by name",
        "Learning out loud",
    }  # nobody has two yet: the most agreed
    assert svc.vote(db_session, welcome, convenor)
    assert [t.text for t in svc.core_themes(db_session, r)] == ["Welcoming by name"]
    with pytest.raises(InvalidInput):  # propositions wait for Design
        svc.propose(
            db_session,
            community_id=community.id,
            member=amina,
            kind=ChoiceKind.PROPOSITION,
            text="We are welcoming",
            round_=r,
            theme_id=welcome.id,
        )
    svc.advance(db_session, r, now=NOW, expected_phase=0)
    assert r.settings["core"] == ["Welcoming by name"]
    with pytest.raises(NotFound):  # the core is agreed: its vote has closed
        svc.vote(db_session, welcome, tama)
    with pytest.raises(InvalidInput):  # themes are drawn in Discover
        svc.propose(
            db_session,
            community_id=community.id,
            member=amina,
            kind=ChoiceKind.THEME,
            text="late",
            round_=r,
        )
    svc.advance(db_session, r, now=NOW, expected_phase=1)
    with pytest.raises(InvalidInput) as refused:  # tied to a theme of the core
        svc.propose(
            db_session,
            community_id=community.id,
            member=amina,
            kind=ChoiceKind.PROPOSITION,
            text="We are welcoming",
            round_=r,
        )
    assert "theme" in refused.value.field_errors
    prop, _ = svc.propose(
        db_session,
        community_id=community.id,
        member=amina,
        kind=ChoiceKind.PROPOSITION,
        text="We are welcoming",
        round_=r,
        theme_id=welcome.id,
    )
    assert svc.tally(db_session, [prop]) == {prop.id: 1}  # its proposer endorses it
    assert svc.vote(db_session, prop, tama) and not svc.vote(db_session, prop, tama)  # taken back


def test_prompts_come_at_a_sensible_local_hour_once_a_phase(db_session: Session) -> None:
    community, convenor, amina, _tama = people(db_session)
    r = ai_round(db_session, community, convenor, RoundMode.ASYNC)
    seen: dict[str, list[datetime]] = {}
    for hour in range(24):
        now = NOW + timedelta(hours=hour)
        for round_, due in svc.due_prompts(db_session, now, workspace_tz="Europe/London"):
            for m in due:
                seen.setdefault(m.user_id, []).append(now)
                svc.note_once(db_session, round_, m.id, svc.PROMPT)
    assert set(seen) == {"UC", "UA", "UT"} and all(len(v) == 1 for v in seen.values())
    assert seen["UC"] == [NOW]  # 10:00 in London
    assert seen["UA"] == [NOW + timedelta(hours=4)]  # 09:00 in New York
    assert seen["UT"] == [NOW + timedelta(hours=10)]  # 09:00 in Auckland, the next morning
    # The next phase is for those who took part (the quiet are invited instead).
    svc.opt_in(db_session, r, amina)
    svc.advance(db_session, r, now=NOW + timedelta(hours=24), expected_phase=0)
    r.announced_phase = 1
    due = svc.due_prompts(db_session, NOW + timedelta(hours=28), workspace_tz=None)
    assert [m.user_id for _, ms in due for m in ms] == ["UC", "UA"]  # the facilitator, Amina
    # Live rounds are never prompted this way.
    live = ai_round(db_session, community, convenor, RoundMode.LIVE)
    assert live.id not in {x.id for x, _ in svc.due_prompts(db_session, NOW, workspace_tz=None)}


def test_the_engine_is_mode_agnostic_a_set_over_days_prompts_its_own_people(
    db_session: Session,
) -> None:
    community, _convenor, amina, _tama = people(db_session)
    s, _ = svc.start_als(
        db_session,
        community=community,
        facilitator=amina,
        presenter=amina,
        challenge="c",
        set_member_ids=["UT"],
        minutes=[24 * 60] * 5,
        now=NOW,
    )
    s.mode, s.thread_ts, s.announced_phase = RoundMode.ASYNC, "2.0", 0
    db_session.flush()
    due = svc.due_prompts(db_session, NOW + timedelta(hours=4), workspace_tz=None)
    assert [m.user_id for _, ms in due for m in ms] == ["UA"]  # Tama sleeps; Esther isn't in it
    due = svc.due_prompts(db_session, NOW + timedelta(hours=10), workspace_tz=None)
    assert {m.user_id for _, ms in due for m in ms} == {"UA", "UT"}  # Auckland's morning
    assert svc.max_minutes(RoundMode.ASYNC) > svc.max_minutes(RoundMode.LIVE)


def test_asynchronous_invitations_are_once_a_round_at_a_local_hour(db_session: Session) -> None:
    community, convenor, amina, tama = people(db_session)
    r = ai_round(db_session, community, convenor, RoundMode.ASYNC)
    # Not in the first phase: everyone was prompted for it.
    assert all(not ms for _, ms in svc.due_invitations(db_session, NOW + timedelta(hours=12)))
    svc.advance(db_session, r, now=NOW + timedelta(hours=24), expected_phase=0)
    r.announced_phase = 1
    at = NOW + timedelta(hours=24 + 8)  # 18:00 London, 13:00 New York, 07:00 Auckland
    invited = [m.user_id for _, ms in svc.due_invitations(db_session, at) for m in ms]
    assert sorted(invited) == ["UA", "UC"]  # Tama is asleep (the job skips its facilitator)
    svc.note_once(db_session, r, amina.id, "invite")
    svc.mark_invited(db_session, r.id, r.phase_index)  # a no-op for a round over days
    later = NOW + timedelta(hours=24 + 10)  # 09:00 in Auckland, 20:00 in London
    assert [m.user_id for _, ms in svc.due_invitations(db_session, later) for m in ms] == ["UT"]
    svc.note_once(db_session, r, tama.id, "invite")
    svc.advance(db_session, r, now=NOW + timedelta(hours=48), expected_phase=1)
    r.announced_phase = 2
    again = svc.due_invitations(db_session, NOW + timedelta(hours=54))  # 16:00 in London
    assert [m.user_id for _, ms in again for m in ms] == ["UC"]  # never a second for the others


def test_a_round_outside_a_meeting_is_asynchronous_by_default(db_session: Session) -> None:
    community, convenor, _amina, _tama = people(db_session)
    assert svc.default_mode(db_session, community.id, NOW) == RoundMode.ASYNC
    db_session.add(
        Meeting(
            community_id=community.id,
            convenor_id=convenor.id,
            title="CoP call",
            first_date=date(2026, 3, 2),
            start_minute=9 * 60 + 30,
            tz="Europe/London",
            duration_minutes=60,
            repeat=Repeat.NONE,
            video_url="https://example.org/call",
            channel_id="C1",
        )
    )
    db_session.flush()
    assert svc.default_mode(db_session, community.id, NOW) == RoundMode.LIVE
    assert svc.default_mode(db_session, community.id, NOW + timedelta(hours=2)) == RoundMode.ASYNC


def test_the_library_takes_only_what_its_owner_said_yes_to(db_session: Session) -> None:
    community, convenor, amina, tama = people(db_session)
    r = ai_round(db_session, community, convenor, RoundMode.LIVE)
    svc.add_contribution(
        db_session, r, amina, text="A named high point", anonymous=False, source_key=None
    )
    svc.add_contribution(db_session, r, amina, text="ANON words", anonymous=True, source_key=None)
    svc.add_contribution(db_session, r, tama, text="Tama's dream", anonymous=False, source_key=None)
    svc.close(db_session, r, now=NOW)
    r.synthesis_posted = True
    db_session.flush()
    offers = {m.user_id for _, ms in svc.due_offers(db_session) for m in ms}
    assert offers == {"UA", "UT"}
    with pytest.raises(NotFound):  # not asked yet: nothing to answer
        svc.answer_offer(db_session, r.id, amina, yes=True)
    for m in (amina, tama):
        svc.mark_offered(db_session, r.id, m.id)
    assert svc.due_offers(db_session) == []
    assert svc.answer_offer(db_session, r.id, amina, yes=True)[0] == "yes"
    assert svc.answer_offer(db_session, r.id, amina, yes=False)[0] == "answered"
    assert svc.answer_offer(db_session, r.id, tama, yes=False)[0] == "no"
    library = db_session.scalars(select(Story)).all()
    assert len(library) == 1 and library[0].author_id == amina.id
    assert "A named high point" in library[0].body and "ANON" not in library[0].body
    assert library[0].consent.value == "cop_only"


def test_forget_me_takes_ai_votes_joins_and_retellings_of_their_story(db_session: Session) -> None:
    community, convenor, amina, tama = people(db_session)
    r = ai_round(db_session, community, convenor, RoundMode.LIVE)
    for m in (amina, tama):
        svc.opt_in(db_session, r, m)
    svc.interview_groups(db_session, r)
    said, _ = svc.retell(db_session, r, amina, tama, text="TAMA-STORY", source_key=None)
    assert svc.answer_retelling(db_session, said.id, tama, yes=True)[0] == "yes"
    theme, _ = svc.propose(
        db_session,
        community_id=community.id,
        member=tama,
        kind=ChoiceKind.THEME,
        text="T",
        round_=r,
    )
    for _ in range(3):
        svc.advance(db_session, r, now=NOW, expected_phase=r.phase_index)
    c, _ = svc.add_commitment(db_session, r, amina, what="call", due_at=NOW, source_key=None)
    assert svc.join_commitment(db_session, c.id, tama) is True
    assert svc.join_commitment(db_session, c.id, amina) is None  # one's own
    mine = svc.member_data(db_session, tama)
    assert mine["my_story_retold"] == [{"text": "TAMA-STORY", "posted": True}]
    assert mine["joining"] == ["call"] and mine["votes"] == [{"kind": "theme", "text": "T"}]
    forget_member(db_session, tama)  # the default scope deletes their words
    db_session.flush()
    db_session.expire_all()
    assert db_session.get(type(said), said.id) is None  # their story, retold, goes
    assert db_session.scalars(select(RoundVote).where(RoundVote.member_id == tama.id)).all() == []
    assert db_session.get(type(theme), theme.id) is None
    assert c.joiners == []
