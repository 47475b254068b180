"""What a round may carry, and where: the CoP's private channel, the presenter's own yes, each
person's sharing choices, invitations once, pairing choices and forget-me."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.builders.ids import MembershipIds, RoundIds
from bot.models import Member, MemberStatus, Round, RoundCommitment, RoundPost, utcnow
from bot.schedules import rounds as schedule
from tests.conftest import CONVENOR, COP, GENERAL, MEMBER, MEMBER2, MOVEMENT
from tests.harness import Kettle, checkbox_values, state, text_value
from tests.scenario.test_rounds_ai import conversation, date_value, number
from tests.scenario.test_rounds_als import radio, user, users


def als_values(presenter: str, channel: str | None = None, **extra: Any) -> dict[str, Any]:
    blocks: dict[str, Any] = {
        RoundIds.PRESENTER: user(presenter),
        RoundIds.CHALLENGE: text_value("Volunteers drift away after a month"),
        RoundIds.MEMBERS: users(MEMBER2, CONVENOR),
        **{f"{RoundIds.MINUTES}_{i}": number("5") for i in range(6)},
        **extra,
    }
    if channel is not None:
        blocks[RoundIds.CHANNEL] = conversation(channel)
    return state(**blocks)


def ai_values(channel: str | None = None) -> dict[str, Any]:
    blocks: dict[str, Any] = {
        RoundIds.TOPIC: text_value("Meetings people can't wait to come to"),
        RoundIds.MINUTES: number("10"),
        RoundIds.ANONYMOUS: checkbox_values(),
    }
    if channel is not None:
        blocks[RoundIds.CHANNEL] = conversation(channel)
    return state(**blocks)


def rounds_in_db(kettle: Kettle) -> list[Round]:
    with kettle.db() as session:
        found = list(session.scalars(select(Round).order_by(Round.id)))
        session.expunge_all()
        return found


def posts_in(kettle: Kettle, channel: str) -> list[dict[str, Any]]:
    return [m for m in kettle.fake.messages(channel) if m.get("bot_id")]


# -- 1. rounds run only in the CoP's private channel ----------------------------------------------


def test_a_set_or_a_round_runs_only_in_the_cop_channel(kettle: Kettle) -> None:
    kettle.command(MEMBER, "/round", "als", channel=GENERAL)
    form = kettle.fake.last_view()
    assert form is not None and form["callback_id"] == RoundIds.ALS_MODAL
    # The form offers no choice of channel: it says where the set runs.
    assert RoundIds.CHANNEL not in {b.get("block_id") for b in form["blocks"]}
    assert f"<#{COP}>" in str(form["blocks"])

    # A forged (or old) form asking for the movement's public channel is refused on its field.
    reply = kettle.submit(MEMBER, form, als_values(MEMBER, MOVEMENT))
    assert reply.json["response_action"] == "errors"
    assert "private channel" in reply.json["errors"][RoundIds.CHANNEL]
    assert rounds_in_db(kettle) == []
    assert posts_in(kettle, MOVEMENT) == [] and posts_in(kettle, GENERAL) == []

    kettle.command(CONVENOR, "/round", "ai better meetings", channel=GENERAL)
    ai_form = kettle.fake.last_view()
    assert ai_form is not None and ai_form["callback_id"] == RoundIds.AI_MODAL
    assert RoundIds.CHANNEL not in {b.get("block_id") for b in ai_form["blocks"]}
    reply = kettle.submit(CONVENOR, ai_form, ai_values(GENERAL))
    assert reply.json["errors"][RoundIds.CHANNEL]
    assert rounds_in_db(kettle) == [] and posts_in(kettle, GENERAL) == []

    # Without a channel in the form, the round opens in the CoP channel.
    assert kettle.submit(CONVENOR, ai_form, ai_values()).status == 200
    (round_,) = rounds_in_db(kettle)
    assert round_.channel_id == COP and round_.thread_ts
    assert any(m["ts"] == round_.thread_ts for m in posts_in(kettle, COP))


# -- 1. a presenter is never named without their own yes ------------------------------------------


def propose_set(kettle: Kettle, starter: str, presenter: str) -> Round:
    kettle.command(starter, "/round", "als", channel=COP)
    form = kettle.fake.last_view()
    assert form is not None
    assert kettle.submit(starter, form, als_values(presenter)).status == 200
    return rounds_in_db(kettle)[-1]


def ask_in_dm(kettle: Kettle, user_id: str) -> dict[str, Any]:
    asks = [m for m in kettle.fake.dm_messages(user_id) if RoundIds.PRESENT_YES in str(m)]
    assert len(asks) == 1
    return asks[0]


def answer(kettle: Kettle, user_id: str, ask: dict[str, Any], action_id: str) -> None:
    value = next(
        e["value"]
        for b in ask["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    )
    dm = kettle.fake.dm_channel_for(user_id)
    kettle.click(user_id, action_id, value=value, channel=dm, message={"ts": ask["ts"]})


def test_a_presenter_named_by_someone_else_is_asked_first(kettle: Kettle) -> None:
    before = len(posts_in(kettle, COP))
    round_ = propose_set(kettle, MEMBER2, MEMBER)
    # Nothing about the set appears anywhere in the CoP until the presenter says yes.
    assert len(posts_in(kettle, COP)) == before and round_.thread_ts is None
    assert "Volunteers drift" not in kettle.command(MEMBER2, "/round", "list").json["text"]
    schedule.tick(utcnow() + timedelta(hours=1))
    assert len(posts_in(kettle, COP)) == before
    # The presenter is asked privately, once; the starter hears that it waits.
    ask = ask_in_dm(kettle, MEMBER)
    assert "Volunteers drift" in ask["text"] and "Rohan" in ask["text"]
    assert any("I've asked the presenter" in m["text"] for m in kettle.fake.dm_messages(MEMBER2))
    # Someone else cannot answer for them; a forged steering button cannot start it.
    answer(kettle, MEMBER2, ask, RoundIds.PRESENT_YES)
    kettle.click(MEMBER2, RoundIds.NEXT, value=f"{round_.id}:0", channel=COP)
    kettle.click(CONVENOR, RoundIds.END, value=f"{round_.id}:0", channel=COP)
    assert len(posts_in(kettle, COP)) == before
    assert rounds_in_db(kettle)[-1].status.value == "proposed"

    # No: the round never starts, the starter is told kindly, the presenter's DM says so.
    answer(kettle, MEMBER, ask, RoundIds.PRESENT_NO)
    declined = rounds_in_db(kettle)[-1]
    assert declined.status.value == "declined" and declined.topic == ""
    assert len(posts_in(kettle, COP)) == before
    told = [m["text"] for m in kettle.fake.dm_messages(MEMBER2) if "won't run" in m["text"]]
    assert len(told) == 1 and "Amina" not in told[0]
    updated = next(m for m in kettle.fake.dm_messages(MEMBER) if m["ts"] == ask["ts"])
    assert RoundIds.PRESENT_YES not in str(updated["blocks"])
    answer(kettle, MEMBER, ask, RoundIds.PRESENT_YES)  # a late yes to a declined set
    assert rounds_in_db(kettle)[-1].status.value == "declined"
    assert len(posts_in(kettle, COP)) == before

    # Yes: only now is the set's opening posted in the CoP channel.
    second = propose_set(kettle, MEMBER2, MEMBER)
    asks = [m for m in kettle.fake.dm_messages(MEMBER) if RoundIds.PRESENT_YES in str(m)]
    answer(kettle, MEMBER, asks[-1], RoundIds.PRESENT_YES)
    second = rounds_in_db(kettle)[-1]
    assert second.status.value == "running" and second.thread_ts
    opening = next(m for m in posts_in(kettle, COP) if m["ts"] == second.thread_ts)
    assert "Amina" in opening["text"] and "Volunteers drift" in opening["text"]
    assert any("said yes" in m["text"] for m in kettle.fake.dm_messages(MEMBER2))


def test_naming_yourself_is_your_yes_and_former_members_are_not_set_members(
    kettle: Kettle,
) -> None:
    round_ = propose_set(kettle, MEMBER, MEMBER)
    assert round_.status.value == "running" and round_.thread_ts
    assert [m for m in kettle.fake.dm_messages(MEMBER) if RoundIds.PRESENT_YES in str(m)] == []

    with kettle.db() as session:
        gone = session.scalars(select(Member).where(Member.user_id == MEMBER2)).one()
        gone.status = MemberStatus.LEFT
    kettle.command(MEMBER, "/round", "als", channel=COP)
    form = kettle.fake.last_view()
    assert form is not None
    reply = kettle.submit(MEMBER, form, als_values(MEMBER))
    assert reply.json["errors"][RoundIds.MEMBERS]


# -- 1. a report-back shows only what its owner chose to share ------------------------------------


def run_set_to_a_commitment(kettle: Kettle, what: str) -> tuple[Round, int]:
    round_ = propose_set(kettle, MEMBER, MEMBER)
    for index in range(4):
        kettle.click(MEMBER, RoundIds.NEXT, value=f"{round_.id}:{index}")
    kettle.click(MEMBER, RoundIds.CONTRIBUTE, value=f"{round_.id}:4")
    form = kettle.fake.last_view()
    assert form is not None
    due = (utcnow() + timedelta(days=7)).date().isoformat()
    kettle.submit(
        MEMBER, form, state(**{RoundIds.TEXT: text_value(what), RoundIds.WHEN: date_value(due)})
    )
    kettle.click(MEMBER, RoundIds.END, value=f"{round_.id}:4")
    with kettle.db() as session:
        commitment = session.scalars(
            select(RoundCommitment).where(RoundCommitment.round_id == round_.id)
        ).one()
        return round_, commitment.id


def report(kettle: Kettle, commitment_id: int, text: str, share: str | None) -> None:
    kettle.click(MEMBER, RoundIds.REPORT, value=str(commitment_id))
    form = kettle.fake.last_view()
    assert form is not None and form["callback_id"] == RoundIds.REPORT_MODAL
    choice = next(b for b in form["blocks"] if b.get("block_id") == RoundIds.SHARE)
    assert choice["element"]["initial_option"]["value"] == "private"  # private unless chosen
    values: dict[str, Any] = {RoundIds.TEXT: text_value(text)}
    if share is not None:
        values[RoundIds.SHARE] = radio(share)
    kettle.submit(MEMBER, form, state(**values))


def test_a_private_report_never_opens_the_next_set(kettle: Kettle) -> None:
    _, first = run_set_to_a_commitment(kettle, "talk to the board")
    report(kettle, first, "The chair cried; please keep this between us", None)
    second = propose_set(kettle, MEMBER, MEMBER)
    posted = str(kettle.fake.messages(COP))
    assert "talk to the board" in posted and "stays private" in posted
    assert "The chair cried" not in posted
    with kettle.db() as session:
        assert session.get_one(RoundCommitment, first).report_visibility.value == "private"

    kettle.click(CONVENOR, RoundIds.END, value=f"{second.id}:0")
    _, shared = run_set_to_a_commitment(kettle, "write to the funder")
    report(kettle, shared, "They said yes to a second year", "private")
    report(kettle, shared, "They said yes to a second year", "cop")  # changed their mind
    propose_set(kettle, MEMBER, MEMBER)
    assert "They said yes to a second year" in str(kettle.fake.messages(COP))


# -- 2. invitations: once a round, and never after a no -------------------------------------------


def invitations(kettle: Kettle, user_id: str) -> list[dict[str, Any]]:
    return [m for m in kettle.fake.dm_messages(user_id) if RoundIds.OPT_OUT in str(m)]


def start_ai_by_hand(kettle: Kettle) -> Round:
    kettle.command(CONVENOR, "/round", "ai joyful meetings", channel=COP)
    form = kettle.fake.last_view()
    assert form is not None
    values = ai_values()
    values[RoundIds.MINUTES] = {"value": number("0")}
    assert kettle.submit(CONVENOR, form, values).status == 200
    return rounds_in_db(kettle)[-1]


def test_quiet_members_are_invited_once_a_round_and_a_no_holds(kettle: Kettle) -> None:
    first = start_ai_by_hand(kettle)
    for index in range(3):
        schedule.tick(utcnow() + timedelta(minutes=6))
        kettle.click(CONVENOR, RoundIds.NEXT, value=f"{first.id}:{index}")
    schedule.tick(utcnow() + timedelta(minutes=6))
    assert len(invitations(kettle, MEMBER)) == 1  # not one per phase
    assert len(invitations(kettle, MEMBER2)) == 1

    # A no from the invitation's button holds: asking about it does not undo it.
    kettle.click(MEMBER2, RoundIds.OPT_OUT, value="off")
    status = kettle.command(MEMBER2, "/round", "invites").json["text"]
    assert "not to invite you" in status
    assert "not to invite you" in kettle.command(MEMBER2, "/round", "invites please").json["text"]
    kettle.click(CONVENOR, RoundIds.END, value=f"{first.id}:3")

    # The next round invites those who want it, and not the one who said no.
    second = start_ai_by_hand(kettle)
    schedule.tick(utcnow() + timedelta(minutes=6))
    kettle.click(CONVENOR, RoundIds.NEXT, value=f"{second.id}:0")
    schedule.tick(utcnow() + timedelta(minutes=6))
    assert len(invitations(kettle, MEMBER)) == 2
    assert len(invitations(kettle, MEMBER2)) == 1

    # Only "on" turns them back on.
    assert "invite you again" in kettle.command(MEMBER2, "/round", "invites on").json["text"]
    assert "once a round" in kettle.command(MEMBER2, "/round", "invites").json["text"]


# -- 3. interview pairs honour /cop pairing choices -------------------------------------------------


def test_interview_pairs_honour_pairing_opt_outs_and_avoid_choices(kettle: Kettle) -> None:
    extra = {"UMEM3": "Zara", "UMEM4": "Kofi"}
    with kettle.db() as session:
        community_id = session.scalars(select(Member.community_id)).first()
        for user_id, name in extra.items():
            kettle.fake.add_user(user_id, name, tz="Europe/Paris")
            session.add(Member(community_id=community_id, user_id=user_id, name=name))
    assert "out of pairing" in kettle.command(MEMBER2, "/cop", "pairing off").json["text"]
    assert "privately" in kettle.command(MEMBER, "/cop", "pairing avoid <@UMEM3>").json["text"]
    kettle.command("UMEM4", "/cop", "pairing")  # only asking: no choice made, still paired

    round_ = start_ai_by_hand(kettle)
    for asker in (CONVENOR, MEMBER, MEMBER2, "UMEM3", "UMEM4"):  # each asks for an interview
        kettle.click(asker, RoundIds.INTERVIEW, value=f"{round_.id}:0")
    kettle.fake.reset_calls()
    kettle.click(CONVENOR, RoundIds.PAIR, value=f"{round_.id}:0")
    groups = [
        set(str(c["users"]).split(","))
        for c in kettle.fake.calls_to("conversations.open")
        if "," in str(c.get("users"))
    ]
    assert len(groups) == 2
    assert set().union(*groups) == {CONVENOR, MEMBER, "UMEM3", "UMEM4"}  # not the one who said no
    assert not any({MEMBER, "UMEM3"} <= g for g in groups)  # the avoid choice, kept
    # Nobody learns of anyone's choice: the invitations name no one, the facilitator hears a count.
    sent = [c for c in kettle.fake.calls_to("chat.postMessage") if "interview" in str(c)]
    assert sent and not any(n in str(sent) for n in ("Zara", "Amina", "Rohan", "avoid"))
    assert any("2 interviews" in str(r.get("text")) for r in kettle.fake.responses)


# -- 4. forget-me reaches every round post that carries their words or name ------------------------


def cop_text(kettle: Kettle) -> str:
    return str([(m.get("text"), m.get("blocks")) for m in kettle.fake.messages(COP)])


def ai_round_with_words(kettle: Kettle) -> Round:
    round_ = start_ai_by_hand(kettle)
    say_in_phase(kettle, MEMBER, round_, "Our picnic by the river")
    say_in_phase(kettle, MEMBER2, round_, "The night we sang")
    for index in range(3):
        kettle.click(CONVENOR, RoundIds.NEXT, value=f"{round_.id}:{index}")
    due = (utcnow() + timedelta(days=5)).date().isoformat()
    kettle.click(MEMBER, RoundIds.CONTRIBUTE, value=f"{round_.id}:3")
    form = kettle.fake.last_view()
    assert form is not None
    values = {RoundIds.TEXT: text_value("host a welcome call"), RoundIds.WHEN: date_value(due)}
    kettle.submit(MEMBER, form, state(**values))
    kettle.click(CONVENOR, RoundIds.NEXT, value=f"{round_.id}:3")
    return rounds_in_db(kettle)[-1]


def say_in_phase(kettle: Kettle, user_id: str, round_: Round, text: str) -> None:
    current = next(r for r in rounds_in_db(kettle) if r.id == round_.id)
    kettle.click(user_id, RoundIds.CONTRIBUTE, value=f"{round_.id}:{current.phase_index}")
    form = kettle.fake.last_view()
    assert form is not None
    kettle.submit(user_id, form, state(**{RoundIds.TEXT: text_value(text)}))


def set_with_words(kettle: Kettle) -> Round:
    """Amina presents; Rohan and Esther are the set; Amina pauses, reflects and commits."""
    round_ = propose_set(kettle, MEMBER, MEMBER)
    kettle.click(MEMBER, RoundIds.PAUSE, value=f"{round_.id}:0")
    kettle.click(MEMBER, RoundIds.RESUME, value=f"{round_.id}:0")
    for index in range(3):
        kettle.click(MEMBER, RoundIds.NEXT, value=f"{round_.id}:{index}")
    say_in_phase(kettle, MEMBER, round_, "It's about belonging")
    kettle.click(MEMBER, RoundIds.NEXT, value=f"{round_.id}:3")
    due = (utcnow() + timedelta(days=5)).date().isoformat()
    kettle.click(MEMBER, RoundIds.CONTRIBUTE, value=f"{round_.id}:4")
    form = kettle.fake.last_view()
    assert form is not None
    values = {RoundIds.TEXT: text_value("call three volunteers"), RoundIds.WHEN: date_value(due)}
    kettle.submit(MEMBER, form, state(**values))
    kettle.click(MEMBER, RoundIds.END, value=f"{round_.id}:4")
    return rounds_in_db(kettle)[-1]


def synthesis_ts(kettle: Kettle, round_: Round) -> str:
    return next(
        m["ts"]
        for m in kettle.fake.messages(COP)
        if m.get("thread_ts") == round_.thread_ts and m.get("subtype") == "thread_broadcast"
    )


def test_forget_me_takes_their_words_and_name_out_of_every_round_post(kettle: Kettle) -> None:
    ai = ai_round_with_words(kettle)
    als = set_with_words(kettle)
    before = cop_text(kettle)
    for words in ("Amina", "Our picnic", "welcome call", "belonging", "three volunteers"):
        assert words in before
    assert "Volunteers drift" in before and "Paused by Amina" in before
    posts = {synthesis_ts(kettle, ai), synthesis_ts(kettle, als), als.thread_ts}

    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")

    after = cop_text(kettle)
    for words in ("Amina", "Our picnic", "welcome call", "belonging", "three volunteers"):
        assert words not in after, words
    assert "Volunteers drift" not in after  # the challenge they presented goes with their words
    assert "The night we sang" in after and "Rohan" in after  # others' words stay
    edited = {c["ts"] for c in kettle.fake.calls_to("chat.update")}
    assert posts <= edited


def test_forget_me_keeping_words_unnames_them_and_a_failed_edit_is_retried(
    kettle: Kettle,
) -> None:
    ai = ai_round_with_words(kettle)
    als = set_with_words(kettle)  # Rohan is a set member: named in the opening
    assert f"<@{MEMBER2}>" in cop_text(kettle) and "*Rohan* (Discover)" in cop_text(kettle)

    kettle.fake.fail_next("chat.update", status=500, times=8)
    kettle.click(MEMBER2, MembershipIds.FORGET_KEEP_BUTTON, channel="D2")
    kettle.fake.clear_faults()
    with kettle.db() as session:  # Slack was down: the edits wait, marked, for the next tick
        assert session.scalars(select(RoundPost).where(RoundPost.stale.is_(True))).all()
    schedule.tick(utcnow() + timedelta(minutes=1))

    after = cop_text(kettle)
    assert "Rohan" not in after and f"<@{MEMBER2}>" not in after
    assert "*A member* (Discover): The night we sang" in after
    assert "The night we sang (A member)" in after  # the synthesis, edited where it stands
    assert "Amina" in after and "Volunteers drift" in after
    edited = {c["ts"] for c in kettle.fake.calls_to("chat.update")}
    assert {synthesis_ts(kettle, ai), als.thread_ts} <= edited
    with kettle.db() as session:
        assert session.scalars(select(RoundPost).where(RoundPost.stale.is_(True))).all() == []
