"""Forget-me and my data find a person's knowledge one way, within one community only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

import bot.services.hooks  # noqa: F401  (what the app, the server and the jobs import)
from bot.models import Callout, CalloutAnswer, Community, Consent, Story, StoryKind
from bot.services import membership

RESPONDER = "UMOVE"


def cop_with_an_answer(session: Session, slug: str) -> tuple[Community, Story]:
    community = Community(slug=slug, name=f"{slug} CoP", settings={})
    session.add(community)
    session.flush()
    callout = Callout(community_id=community.id, question=f"{slug}: what worked?", created_by="U1")
    story = Story(
        community_id=community.id,
        title=f"{slug} answer",
        body="We listened first.",
        kind=StoryKind.LEARNING,
        consent=Consent.COP_ONLY,
        themes=["call-out"],
    )
    session.add_all([callout, story])
    session.flush()
    session.add(
        CalloutAnswer(
            callout_id=callout.id,
            story_id=story.id,
            responder_user_id=RESPONDER,
            responder_name="Mo",
        )
    )
    session.flush()
    return community, story


def test_forget_me_and_my_data_stay_within_one_community(db_session: Session) -> None:
    north, _ = cop_with_an_answer(db_session, "north")
    south, south_story = cop_with_an_answer(db_session, "south")

    data = membership.personal_data(db_session, north, RESPONDER)
    assert [a["story"] for a in data["knowledge"]["callout_answers"]] == ["north answer"]

    membership.forget(db_session, north, RESPONDER, keep_stories=False, now=south_story.created_at)
    db_session.expire_all()
    titles = db_session.scalars(select(Story.title)).all()
    assert titles == ["south answer"]
    answer = db_session.scalars(select(CalloutAnswer)).one()
    assert answer.responder_user_id == RESPONDER and answer.responder_name == "Mo"
    assert membership.holds_anything(db_session, south, RESPONDER)
    assert not membership.holds_anything(db_session, north, RESPONDER)
