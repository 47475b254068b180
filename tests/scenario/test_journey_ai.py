"""Appreciative inquiry as a CoP spread round the world lives it: an asynchronous round over four
days, with members in London, New York and Auckland (and a quiet one in Kolkata), told by what
each person actually receives in Slack. Time is the test's: each tick of the rounds job is given
its moment, hour by hour."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.builders.ids import RoundIds
from bot.models import Community, Member, Round, RoundMode, RoundStatus, Story, utcnow
from bot.schedules import rounds as schedule
from bot.services import membership
from bot.services.membership import SlackProfile
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2
from tests.harness import Kettle, checkbox_values, select_value, state, text_value
from tests.scenario.test_rounds_ai import date_value, number, posted, radio, thread

KIWI = "UKIWI"
ZONES = {
    CONVENOR: "Europe/London",
    MEMBER: "America/New_York",
    KIWI: "Pacific/Auckland",
    MEMBER2: "Asia/Kolkata",
}
PROMPT = "is open in the round on"


def everything(messages: list[dict[str, Any]]) -> str:
    return json.dumps(messages, ensure_ascii=False)


class Clock:
    """Ticks the rounds job hour by hour and notes, for each person, the moment each of
    Kettle's private messages to them first appeared."""

    def __init__(self, kettle: Kettle, start: datetime) -> None:
        self.kettle = kettle
        self.now = start
        self.seen: dict[str, int] = {u: 0 for u in ZONES}
        self.arrived: dict[str, list[tuple[datetime, str]]] = {u: [] for u in ZONES}

    def run(self, hours: int) -> None:
        for _ in range(hours):
            self.now += timedelta(hours=1)
            schedule.tick(self.now)
            for user in ZONES:
                dms = self.kettle.fake.dm_messages(user)
                for message in dms[self.seen[user] :]:
                    self.arrived[user].append((self.now, str(message.get("text"))))
                self.seen[user] = len(dms)

    def prompts(self, user: str) -> list[tuple[datetime, str]]:
        return [(t, text) for t, text in self.arrived[user] if PROMPT in text]


def the_round(kettle: Kettle) -> Round:
    with kettle.db() as session:
        round_ = session.scalars(select(Round)).one()
        session.expunge(round_)
        return round_


def member_id(kettle: Kettle, user: str) -> int:
    with kettle.db() as session:
        return session.scalars(select(Member.id).where(Member.user_id == user)).one()


def open_choices(kettle: Kettle, user: str, round_: Round) -> dict[str, Any]:
    kettle.click(user, RoundIds.CHOICES, value=f"{round_.id}:{round_.phase_index}")
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.CHOICES_MODAL
    return view


def vote_for(kettle: Kettle, user: str, view: dict[str, Any], text: str) -> dict[str, Any]:
    """Press the vote button beside `text` in the form; the form comes back with new counts."""
    for block in view["blocks"]:
        if text in json.dumps(block.get("text", {})) and block.get("accessory"):
            kettle.click(user, RoundIds.CHOICE_VOTE, value=block["accessory"]["value"], view=view)
            fresh = kettle.fake.view(view["id"])
            assert fresh is not None
            return fresh
    raise AssertionError(f"{text!r} is not in the form")


def contribute(kettle: Kettle, user: str, round_: Round, values: dict[str, Any]) -> Any:
    kettle.click(user, RoundIds.CONTRIBUTE, value=f"{round_.id}:{round_.phase_index}")
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.CONTRIBUTE_MODAL
    return kettle.submit(user, view, state(**values)), view


def dm_button(kettle: Kettle, user: str, action_id: str) -> str:
    for message in reversed(kettle.fake.dm_messages(user)):
        for block in message.get("blocks") or []:
            for element in block.get("elements") or []:
                if element.get("action_id") == action_id:
                    return str(element["value"])
    raise AssertionError(f"no {action_id} button in {user}'s messages")


def test_an_asynchronous_appreciative_inquiry_over_four_days(kettle: Kettle) -> None:
    kettle.fake.add_user(KIWI, "Tama", tz="Pacific/Auckland")
    with kettle.db() as session:
        community = session.scalars(select(Community)).one()
        membership.admit(session, community, SlackProfile(KIWI, "Tama", "Pacific/Auckland"))
        for user, tz in ZONES.items():
            session.scalars(select(Member).where(Member.user_id == user)).one().tz = tz

    # -- The topic, chosen together: proposals, one vote each (moved once), counts shown.
    kettle.command(MEMBER, "/round", "topics")
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.CHOICES_MODAL
    kettle.submit(MEMBER, view, state(**{RoundIds.TEXT: text_value("Meetings we can't miss")}))
    kettle.command(KIWI, "/round", "topics")
    view = kettle.fake.last_view()
    assert view is not None
    kettle.submit(KIWI, view, state(**{RoundIds.TEXT: text_value("Newcomers at home")}))
    kettle.command(KIWI, "/round", "topics")
    view = kettle.fake.last_view()
    assert view is not None
    view = vote_for(kettle, KIWI, view, "Newcomers at home")
    assert "1 vote (your vote)" in everything(view["blocks"])
    view = vote_for(kettle, KIWI, view, "Meetings we can")  # moved: still one vote
    shown = everything(view["blocks"])
    assert "Meetings we can't miss*: 1 vote (your vote)" in shown
    assert "Newcomers at home*: 0 votes" in shown
    kettle.command(MEMBER, "/round", "topics")
    view = kettle.fake.last_view()
    assert view is not None
    view = vote_for(kettle, MEMBER, view, "Meetings we can")
    assert "2 votes" in everything(view["blocks"]) and "Tama" not in everything(view["blocks"])
    assert "Start a round" not in everything(view["blocks"])  # members vote; the convenor starts

    # The convenor starts the round from the choice: over days, since no meeting is on.
    kettle.command(CONVENOR, "/round", "topics", channel=COP)
    view = kettle.fake.last_view()
    assert view is not None
    start = next(
        b["elements"][0]["value"]
        for i, b in enumerate(view["blocks"])
        if b["type"] == "actions" and "Meetings we can" in everything([view["blocks"][i - 1]])
    )
    kettle.click(CONVENOR, RoundIds.START_TOPIC, value=start, view=view)
    form = kettle.fake.last_view()
    assert form is not None and form["callback_id"] == RoundIds.AI_MODAL
    assert "Meetings we can't miss" in everything(form["blocks"])
    mode = next(b for b in form["blocks"] if b.get("block_id") == RoundIds.MODE)
    assert mode["element"]["initial_option"]["value"] == "async"
    reply = kettle.submit(
        CONVENOR,
        form,
        state(
            **{
                RoundIds.TOPIC: text_value("Meetings we can't miss"),
                RoundIds.MINUTES: number("10"),
                RoundIds.MODE: radio("async"),
                RoundIds.HOURS: number("24"),
                RoundIds.ANONYMOUS: checkbox_values("yes"),
            }
        ),
    )
    assert reply.status == 200 and not reply.text
    round_ = the_round(kettle)
    assert round_.mode == RoundMode.ASYNC and round_.settings["topic_votes"] == 2
    assert round_.phase_deadline is not None
    begun = round_.phase_started_at
    assert round_.phase_deadline - begun == timedelta(hours=24)
    opening = next(m for m in kettle.fake.messages(COP) if m.get("ts") == round_.thread_ts)
    assert "sensible hour of your own day" in opening["text"]
    clock = Clock(kettle, begun)

    # -- Discover, day one: everyone is prompted at a sensible hour of their own day.
    clock.run(6)
    for user in (MEMBER, KIWI):
        kettle.click(user, RoundIds.INTERVIEW, value=f"{round_.id}:0")  # opt in
    kettle.click(MEMBER, RoundIds.INTERVIEW, value=f"{round_.id}:0")  # twice: still once
    clock.run(6)  # half a day into Discover the interviews pair themselves
    pair = [c for c in kettle.fake.calls_to("conversations.open") if "," in str(c.get("users"))]
    assert len(pair) == 1 and set(str(pair[0]["users"]).split(",")) == {MEMBER, KIWI}
    group_dm = [
        m
        for m in kettle.fake.calls_to("chat.postMessage")
        if "appreciative interview" in str(m.get("text"))
    ]
    assert len(group_dm) == 1
    protocol = str(group_dm[0]["text"])
    assert protocol.count("Tell me") >= 4 and "three wishes" in protocol
    assert "value most about yourself, about your work, and about this community" in protocol
    assert "core factors that give life" in protocol and "one question at a time" in protocol

    # Each retells their partner's story; it is posted only with the partner's yes.
    tama, amina = member_id(kettle, KIWI), member_id(kettle, MEMBER)
    for teller, partner, story in (
        (MEMBER, tama, "Tama ran a hui where everyone spoke"),
        (KIWI, amina, "AMINA-PRIVATE-STORY of a hard year"),
    ):
        kettle.click(teller, RoundIds.RETELL, value=str(round_.id))
        view = kettle.fake.last_view()
        assert view is not None and view["callback_id"] == RoundIds.RETELL_MODAL
        values = {RoundIds.PARTNER: select_value(str(partner)), RoundIds.TEXT: text_value(story)}
        kettle.submit(teller, view, state(**values))
    assert posted(thread(kettle, round_.id), "hui where everyone spoke") == 0
    assert "hui where everyone spoke" in everything(kettle.fake.dm_messages(KIWI))
    kettle.click(KIWI, RoundIds.RETELL_YES, value=dm_button(kettle, KIWI, RoundIds.RETELL_YES))
    kettle.click(MEMBER, RoundIds.RETELL_NO, value=dm_button(kettle, MEMBER, RoundIds.RETELL_NO))
    replies = thread(kettle, round_.id)
    assert posted(replies, "*Amina* retells *Tama*'s story: Tama ran a hui") == 1
    assert "AMINA-PRIVATE-STORY" not in everything(replies)
    assert "keep that story between you two" in everything(kettle.fake.dm_messages(KIWI))

    # Themes of the positive core, proposed and agreed by members.
    view = open_choices(kettle, MEMBER, round_)
    kettle.submit(MEMBER, view, state(**{RoundIds.TEXT: text_value("Welcoming by name")}))
    view = open_choices(kettle, KIWI, round_)
    kettle.submit(KIWI, view, state(**{RoundIds.TEXT: text_value("Learning out loud")}))
    view = open_choices(kettle, KIWI, round_)
    view = vote_for(kettle, KIWI, view, "Welcoming by name")
    assert "Welcoming by name*: 2 agree (you agree)" in everything(view["blocks"])
    view = open_choices(kettle, CONVENOR, round_)
    vote_for(kettle, CONVENOR, view, "Welcoming by name")

    # -- Dream, day two: headed by the positive core; the quiet member is invited, once.
    clock.run(14)
    round_ = the_round(kettle)
    assert round_.phase_index == 1 and round_.settings["core"] == ["Welcoming by name"]
    dream = [m for m in thread(kettle, round_.id) if "*Dream*" in str(m.get("text"))]
    assert len(dream) == 1 and "Our positive core:* Welcoming by name" in everything(dream)
    assert "Learning out loud" not in everything(dream)  # agreed by one only
    contribute(kettle, MEMBER, round_, {RoundIds.TEXT: text_value("Every meeting a homecoming")})
    contribute(kettle, KIWI, round_, {RoundIds.TEXT: text_value("KIWI-DREAM every voice heard")})
    contribute(
        kettle,
        MEMBER,
        round_,
        {
            RoundIds.TEXT: text_value("ANON-DREAM of a quiet room"),
            RoundIds.ANONYMOUS: checkbox_values("yes"),
        },
    )

    # -- Design, day three: provocative propositions, checked and endorsed.
    clock.run(24)
    round_ = the_round(kettle)
    assert round_.phase_index == 2
    design = [m for m in thread(kettle, round_.id) if "*Design*" in str(m.get("text"))]
    assert "Our positive core:* Welcoming by name" in everything(design)
    view = open_choices(kettle, MEMBER, round_)
    theme = next(
        b["element"]["options"][0]["value"]
        for b in view["blocks"]
        if b.get("block_id") == RoundIds.THEME
    )
    for wrong, says in (
        ("We will greet every newcomer by name", "present tense"),
        ("We should greet every newcomer", "present tense"),
        ("We are not a clique", "affirmatively"),
    ):
        bad = kettle.submit(
            MEMBER,
            view,
            state(**{RoundIds.TEXT: text_value(wrong), RoundIds.THEME: select_value(theme)}),
        )
        assert bad.json["response_action"] == "errors"
        assert says in bad.json["errors"][RoundIds.TEXT]
    good = "We are a community where every newcomer is welcomed by name"
    ok = kettle.submit(
        MEMBER,
        view,
        state(**{RoundIds.TEXT: text_value(good), RoundIds.THEME: select_value(theme)}),
    )
    assert ok.status == 200 and not ok.text
    for user in (KIWI, CONVENOR):
        view = open_choices(kettle, user, round_)
        view = vote_for(kettle, user, view, "every newcomer is welcomed")
    assert "2 endorse (you endorse)" not in everything(view["blocks"])
    assert "3 endorse (you endorse)" in everything(view["blocks"])

    # -- Destiny, day four: a commitment for the proposition, and who is joining.
    clock.run(24)
    round_ = the_round(kettle)
    assert round_.phase_index == 3
    due_day = (utcnow() + timedelta(days=10)).date().isoformat()
    kettle.click(MEMBER, RoundIds.CONTRIBUTE, value=f"{round_.id}:3")
    view = kettle.fake.last_view()
    assert view is not None
    proposition = next(
        b["element"]["options"][0]["value"]
        for b in view["blocks"]
        if b.get("block_id") == RoundIds.PROPOSITION
    )
    kettle.submit(
        MEMBER,
        view,
        state(
            **{
                RoundIds.TEXT: text_value("greet each newcomer on a call"),
                RoundIds.PROPOSITION: select_value(proposition),
                RoundIds.WHEN: date_value(due_day),
            }
        ),
    )
    post = [m for m in thread(kettle, round_.id) if "greet each newcomer" in str(m.get("text"))]
    assert len(post) == 1 and "for: We are a community where" in post[0]["text"]
    join = next(
        e["value"]
        for b in post[0]["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == RoundIds.JOIN
    )
    kettle.click(KIWI, RoundIds.JOIN, value=join, channel=COP)
    post = [m for m in thread(kettle, round_.id) if "greet each newcomer" in str(m.get("text"))]
    assert "joining: Tama" in post[0]["text"]

    # -- The close: findings, and each contributor asked about the library.
    clock.run(24)
    round_ = the_round(kettle)
    assert round_.status == RoundStatus.CLOSED and round_.synthesis is not None
    findings = round_.synthesis
    for heading in ("Our positive core", "Stories we heard", "Our dreams", "Provocative", "Commit"):
        assert heading in findings
    assert "Welcoming by name" in findings and "endorsed by 3" in findings
    assert "joining: Tama" in findings and "ANON-DREAM of a quiet room (A member)" in findings
    assert "AMINA-PRIVATE-STORY" not in findings
    assert posted(thread(kettle, round_.id), "is closed") == 1
    for user in (MEMBER, KIWI):
        offers = [m for m in kettle.fake.dm_messages(user) if "story library" in str(m["text"])]
        assert len(offers) == 1, user
    assert not [m for m in kettle.fake.dm_messages(MEMBER2) if "story library" in str(m["text"])]
    value = dm_button(kettle, MEMBER, RoundIds.LIBRARY_YES)
    kettle.click(MEMBER, RoundIds.LIBRARY_YES, value=value)
    kettle.click(MEMBER, RoundIds.LIBRARY_YES, value=value)  # twice: one story
    kettle.click(KIWI, RoundIds.LIBRARY_NO, value=dm_button(kettle, KIWI, RoundIds.LIBRARY_NO))
    clock.run(2)
    with kettle.db() as session:
        library = session.scalars(select(Story)).all()
        assert len(library) == 1
        story = library[0]
        assert story.author is not None and story.author.user_id == MEMBER
        assert story.consent.value == "cop_only" and story.themes == ["welcoming by name"]
        assert "Every meeting a homecoming" in story.body and "greet each newcomer" in story.body
        assert "ANON-DREAM" not in story.body and "hui" not in story.body
        assert "KIWI-DREAM" not in everything([s.body for s in library])  # Tama said no

    # -- Every prompt came at a sensible hour where its reader is, once a phase.
    for user, zone in ZONES.items():
        for at, _text in clock.prompts(user):
            assert 9 <= at.astimezone(ZoneInfo(zone)).hour < 19, (user, at)
    for user in (MEMBER, KIWI, CONVENOR):
        assert len(clock.prompts(user)) == 4, user  # one a phase
    # The quiet member: the first phase's prompt, then one invitation, never one a phase.
    assert len(clock.prompts(MEMBER2)) == 1
    invites = [t for t, text in clock.arrived[MEMBER2] if "we'd love to hear from you" in text]
    assert len(invites) == 1
    assert 9 <= invites[0].astimezone(ZoneInfo(ZONES[MEMBER2])).hour < 19
