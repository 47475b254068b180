"""Who can ever see what Kettle holds (docs/privacy.md), row by row, as people meet it.

Each row's owner tells Kettle something through signed requests, a canary in their words. Then
every surface is driven as the owner, another member, a convenor and an outsider: their App
Home, DMs, ephemerals and replies, the channel posts they can read, the library's search, the
digests, the blog draft, the health report, the weekly summary and care nudges, their own
`/cop mydata`, and the exports. The canary must reach exactly the viewers the table allows; an
anonymous one never stands beside its owner's name, and what is private or anonymous changes no
figure anyone else sees.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from bot import cli, runtime
from bot.builders.ids import (
    CheckinIds,
    CommunityIds,
    KnowledgeIds,
    MembershipIds,
    RoundIds,
    StoryIds,
)
from bot.models import (
    Application,
    ApplicationStatus,
    Base,
    Community,
    Consent,
    LearningSet,
    Meeting,
    MeetingRsvp,
    Member,
    Round,
    RoundStatus,
    Story,
    slack_installations,
    utcnow,
)
from bot.schedules import checkins as checkin_schedule
from bot.schedules import meetings as meeting_schedule
from bot.schedules import pairing as pairing_schedule
from bot.schedules import rounds as round_schedule
from bot.schedules import sets as set_schedule
from bot.services import checkins
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2, OUTSIDER, wipe
from tests.conftest import MOVEMENT as MOVEMENT_CHANNEL
from tests.fakeslack import FakeSlack, build_state_values
from tests.harness import Kettle, Reply, checkbox_values, state, text_value
from tests.scenario.test_journey_als import add, confirm, picked, users, volunteer
from tests.scenario.test_journey_als import user as one_user
from tests.scenario.test_knowledge import file_event, propose_and_answer
from tests.scenario.test_meetings import click_on, plan
from tests.scenario.test_membership import ANSWERS, answers_by_block, apply, decide, open_review
from tests.scenario.test_oauth import A as TEAM
from tests.scenario.test_oauth import Running, oauth_settings
from tests.scenario.test_rounds_ai import date_value, number
from tests.scenario.test_rounds_privacy import propose_set, report, run_set_to_a_commitment
from tests.scenario.test_stories import open_modal, story_values

DOC = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"

# Who may see, as the table's columns name them.
OWNER, MEMBERS, CONVENORS, MOVEMENT, OPERATOR = (
    "owner",
    "other members",
    "convenors",
    "movement and outsiders",
    "operator",
)
COLUMNS = (OWNER, MEMBERS, CONVENORS, MOVEMENT, OPERATOR)
EVERYONE = "everyone"  # a public channel: every person in the workspace, and the movement
APPLICANT = "UAPPL"
WEEK = "2026-W14"
CHECKINS_GO_OUT = datetime(2026, 3, 30, 14, 0, tzinfo=UTC)  # Monday 30 March, everyone's 09:30+
PAIRING_DAY = datetime(2031, 3, 3, 9, 30, tzinfo=UTC)

Export = Callable[[str, str], str]


@pytest.fixture
def export(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> Export:
    """`kettle export` as the operator runs it, through the CLI's own entry point."""
    monkeypatch.setenv("DATABASE_URL", db_url)

    def run(fmt: str, purpose: str) -> str:
        out = tmp_path / f"export-{purpose}.{fmt}"
        assert cli.main(["export", "--format", fmt, "--for", purpose, "-o", str(out)]) == 0
        return out.read_text(encoding="utf-8")

    return run


@pytest.fixture
def installed_kettle(
    fake: FakeSlack, db_url: str, tmp_path: Path, engine: Engine
) -> Iterator[Kettle]:
    """Kettle in OAuth mode, installed in the workspace by someone who is not in the CoP
    (through its real install pages), and the CoP set up from Slack by its first convenor."""
    fake.add_user(INSTALLER, "Ines", tz="Europe/Lisbon", is_admin=True)
    fake.set_members(COP, [*fake.members_of(COP), fake.bot_user_id])
    settings = oauth_settings(fake, db_url, tmp_path, convenors=(CONVENOR,))
    run = Running(fake, settings, engine)
    try:
        assert run.install(TEAM, INSTALLER).status == 200
        request = run.signers[TEAM].slash_command(
            "/cop",
            "setup",
            CONVENOR,
            channel_id=COP,
            trigger_id=fake.issue_trigger_id(),
            response_url=fake.new_response_url(),
        )
        run.kettle.send(request)
        form = fake.last_view()
        assert form is not None and form["callback_id"] == CommunityIds.SETUP_MODAL, form
        values = build_state_values(
            form,
            {
                CommunityIds.SETUP_MOVEMENT: MOVEMENT_CHANNEL,
                CommunityIds.SETUP_CONVENORS: [CONVENOR],
            },
        )
        assert run.kettle.submit(CONVENOR, form, values).status == 200
        with run.kettle.db() as session:
            assert session.scalars(select(Community.team_id)).one() == TEAM
        yield run.kettle
    finally:
        run.stop()
        wipe(engine)


# -- everything a person could see ------------------------------------------------------------


@dataclass(frozen=True)
class Sighting:
    """One thing Kettle showed: to whom (Slack user ids, MOVEMENT, OPERATOR or EVERYONE), where,
    and what it said."""

    viewers: frozenset[str]
    surface: str
    text: str


@dataclass(frozen=True)
class Cast:
    owner: str
    member: str = MEMBER2
    convenor: str = CONVENOR
    outsider: str = OUTSIDER

    @property
    def people(self) -> tuple[str, ...]:
        return (self.owner, self.member, self.convenor, self.outsider)

    def columns(self, viewers: set[str]) -> set[str]:
        """The table's columns these viewers fall in."""
        if EVERYONE in viewers:
            viewers = viewers | set(self.people) | {MOVEMENT}
        out = set()
        for column, people in (
            (OWNER, {self.owner}),
            (MEMBERS, {self.member}),
            (CONVENORS, {self.convenor}),
            (MOVEMENT, {self.outsider, MOVEMENT}),
            (OPERATOR, {OPERATOR}),
        ):
            if viewers & people:
                out.add(column)
        return out


def _user_of(payload: dict[str, Any]) -> str:
    if "user_id" in payload:
        return str(payload["user_id"])
    if isinstance(payload.get("user"), dict):
        return str(payload["user"]["id"])
    return str((payload.get("event") or {}).get("user") or "")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class Surfaces:
    """Drives every surface Kettle has and gathers, from what it sent Slack and wrote out, who
    could see what. Installed on a running Kettle, it records each signed request (whose reply,
    trigger, response_url and modal belong to the person who sent it)."""

    def __init__(self, kettle: Kettle, export: Export) -> None:
        self.kettle = kettle
        self.fake = kettle.fake
        self.export = export
        self.asked: list[tuple[str, dict[str, Any], Reply]] = []
        self.written: list[Sighting] = []
        self.before: dict[str, str] | None = None
        self.after: dict[str, str] | None = None
        send = kettle.send

        def recording(request: Any, **kw: Any) -> Reply:
            reply = send(request, **kw)
            self.asked.append((_user_of(request.payload), request.payload, reply))
            return reply

        kettle.send = recording  # type: ignore[method-assign]

    # -- driving --------------------------------------------------------------------------------
    def drive(self, words: str, cast: Cast) -> None:
        """Everything anyone could do to come across `words`: the convenor's curation, the
        schedules, each person's own surfaces, and the operator's exports."""
        k, convenor = self.kettle, cast.convenor
        with k.db() as session:
            stories = [(s.id, s.title) for s in session.scalars(select(Story).order_by(Story.id))]
            applications = list(
                session.scalars(
                    select(Application.id).where(Application.status.in_(OPEN_APPLICATIONS))
                )
            )
        for story_id, _title in stories:  # a convenor picks every story and draws a tip from it
            k.click(convenor, KnowledgeIds.PICK, value=str(story_id))
            k.click(convenor, KnowledgeIds.TIP_BUTTON, value=str(story_id))
            tip_form = self.fake.last_view()
            assert tip_form is not None
            tip = text_value(f"A tip drawn from story {story_id}")  # the convenor's own words
            k.submit(convenor, tip_form, state(**{KnowledgeIds.TIP_TEXT: tip}))
        for person in cast.people:
            k.command(person, "/cop", "pairing on")
        rt = runtime.current()
        pairing_schedule.run_tick(rt, PAIRING_DAY)
        round_schedule.tick(utcnow() + timedelta(days=8))  # reminders and "how did it go?"
        with k.db() as session:
            community = session.scalars(select(Community)).one()
            close = checkins.window_close(session, community, WEEK, k.settings.workspace_tz)
        checkin_schedule.run_tick(rt, now=close)  # the week closes: the convenors' summary
        for word in ("digest", "digest movement", "tips", "blog", "health", "log", "review"):
            k.command(convenor, "/cop", word)
        k.command(convenor, "/cop", "pairing stats")
        for person in cast.people:
            k.command(person, "/story", f"search {words}")  # a part: replies echo the query
            k.click(person, StoryIds.SEARCH_BUTTON)
            form = self.fake.last_view()
            if form is not None and form["callback_id"] == StoryIds.SEARCH_MODAL:
                words_in = state(**{StoryIds.SEARCH_WORDS: text_value(words)})
                k.submit(person, form, words_in)
            for story_id, _title in stories:
                k.click(person, KnowledgeIds.READ, value=str(story_id))
            for application_id in applications:
                k.click(person, MembershipIds.REVIEW_BUTTON, value=str(application_id))
            k.command(person, "/cop", "members")
            k.command(person, "/round", "list")
            k.command(person, "/round", "sets")
            k.command(person, "/meeting", "list")
            k.command(person, "/cop", "mydata")
            k.event({"type": "app_home_opened", "user": person, "tab": "home", "channel": "D0"})
        for fmt in ("json", "csv", "markdown"):
            self.written.append(
                Sighting(
                    frozenset({MOVEMENT}),
                    f"export for sharing ({fmt})",
                    self.export(fmt, "sharing"),
                )
            )
            self.written.append(
                Sighting(frozenset({OPERATOR}), f"backup ({fmt})", self.export(fmt, "backup"))
            )

    def figures(self, cast: Cast) -> dict[str, str]:
        """The figures others see about the group: the health report, the directory's mix, the
        pairing rate."""
        k = self.kettle
        k.command(cast.convenor, "/cop", "health")
        health = self.fake.calls_to("files.completeUploadExternal")[-1].get("initial_comment", "")
        members = k.command(cast.member, "/cop", "members").text
        stats = k.command(cast.convenor, "/cop", "pairing stats").text
        return {"health": str(health), "members": members, "pairing": stats}

    def snapshot(self, cast: Cast) -> None:
        """The figures just before the datum is told, to compare with after."""
        self.before = self.figures(cast)

    def told(self, cast: Cast) -> None:
        """The figures just after it, before anything else happens in the row."""
        self.after = self.figures(cast)

    # -- gathering ------------------------------------------------------------------------------
    def audience(self, channel: str) -> frozenset[str]:
        if channel in self.fake.users:
            return frozenset({channel})
        info = self.fake.channels.get(channel) or {}
        if info.get("is_im"):
            return frozenset({str(info["user"])})
        if info.get("is_private") or info.get("is_mpim"):
            return frozenset(self.fake.members_of(channel)) - {self.fake.bot_user_id}
        return frozenset({EVERYONE})

    def sightings(self) -> list[Sighting]:
        triggers: dict[str, str] = {}
        urls: dict[str, str] = {}
        views: dict[str, str] = {}
        found: list[Sighting] = []
        for user, payload, reply in self.asked:
            if payload.get("trigger_id"):
                triggers[str(payload["trigger_id"])] = user
            if payload.get("response_url"):
                urls[str(payload["response_url"]).rsplit("/", 1)[-1]] = user
            if isinstance(payload.get("view"), dict):
                views[str(payload["view"]["id"])] = user
            if reply.text:
                found.append(Sighting(frozenset({user}), "reply", reply.text))
        for response in self.fake.responses:
            who = urls.get(str(response.get("url_id")))
            found.append(Sighting(frozenset({who or "?"}), "response_url", _dumps(response)))
        for method, params in list(self.fake.calls):
            shown = {k: params.get(k) for k in ("text", "blocks", "attachments", "view")}
            if method in ("chat.postMessage", "chat.update", "chat.scheduleMessage"):
                viewers = self.audience(str(params.get("channel")))
                found.append(Sighting(viewers, method, _dumps(shown)))
            elif method == "chat.postEphemeral":
                found.append(Sighting(frozenset({str(params.get("user"))}), method, _dumps(shown)))
            elif method in ("views.open", "views.push"):
                who = triggers.get(str(params.get("trigger_id")), "?")
                found.append(Sighting(frozenset({who}), method, _dumps(shown)))
            elif method == "views.update":
                who = views.get(str(params.get("view_id")), "?")
                found.append(Sighting(frozenset({who}), method, _dumps(shown)))
            elif method == "views.publish":
                found.append(
                    Sighting(frozenset({str(params.get("user_id"))}), "home", _dumps(shown))
                )
            elif method == "files.completeUploadExternal":
                found.append(self._upload(params))
        return found + self.written

    def _upload(self, params: dict[str, Any]) -> Sighting:
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        viewers = self.audience(str(params.get("channel_id") or params.get("channels") or ""))
        parts = [str(params.get("initial_comment") or "")]
        surface = "file"
        for item in files:
            raw = self.fake.file_bytes(str(item.get("id")))
            parts.append(raw.decode("utf-8", "replace") if raw else "")
            if item.get("title") == "Blog draft":  # written for the movement to read
                viewers = viewers | {MOVEMENT}
            elif item.get("title") == "Everything Kettle holds about you":
                surface = MY_DATA
        return Sighting(viewers, surface, "\n".join(parts))

    def where(self, needle: str) -> list[Sighting]:
        return [s for s in self.sightings() if needle in s.text]


OPEN_APPLICATIONS = (ApplicationStatus.PENDING, ApplicationStatus.WAITLISTED)
MY_DATA = "/cop mydata"


# -- the rows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row of docs/privacy.md: what its owner tells, and which columns may ever see it.

    `nameless`: where the owner's name must never stand beside their words ("outside" the CoP,
    or to "others" anywhere). `same_figures`: nothing anyone else sees as a figure changes.
    `forget`, `outlives_forget`: what the owner's forget-me leaves of it. A row whose datum is
    an id Slack gave (not words of the owner's) has its `tell` return that id: it is what must
    reach exactly the columns allowed, and be nowhere in the database after forget-me.
    `installed`: Kettle is installed by Slack's OAuth flow, by the row's owner."""

    name: str
    tell: Callable[[Kettle, Surfaces, Cast, str], str | None]
    sees: frozenset[str]
    owner: str = MEMBER
    nameless: str = ""
    same_figures: bool = False
    forget: str = "delete"  # the owner's forget-me choice: "delete" or "keep" their stories
    outlives_forget: bool = False  # kept without their name (only with "keep")
    installed: bool = False

    @property
    def id(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")


def sees(*columns: str) -> frozenset[str]:
    return frozenset(columns)


def tell_story(consent: Consent, then: str = "") -> Callable[[Kettle, Surfaces, Cast, str], None]:
    def tell(kettle: Kettle, surfaces: Surfaces, cast: Cast, words: str) -> None:
        view = open_modal(kettle, cast.owner)
        values = story_values(
            title=f"Story {words}", body=f"What happened: {words}", consent=consent.value, post=True
        )
        kettle.submit(cast.owner, view, values)
        with kettle.db() as session:
            story_id = session.scalars(select(Story.id)).one()
        if then == "approved":
            propose_and_answer(kettle, story_id, cast.owner, KnowledgeIds.APPROVE)
        elif then == "proposed":
            kettle.click(cast.convenor, KnowledgeIds.PROPOSE, value=str(story_id))

    return tell


def tell_checkin(
    visibility: str, *, hand: bool = False
) -> Callable[[Kettle, Surfaces, Cast, str], None]:
    """A low check-in, every answer holding the words; with `hand`, the owner also ticks "Tell
    the convenors I could use a hand" (their name goes, nothing they wrote)."""

    def tell(kettle: Kettle, surfaces: Surfaces, cast: Cast, words: str) -> None:
        checkin_schedule.run_tick(runtime.current(), now=CHECKINS_GO_OUT)
        surfaces.snapshot(cast)
        kettle.click(cast.owner, CheckinIds.OPEN_BUTTON, value=WEEK)
        form = kettle.fake.last_view()
        assert form is not None and form["callback_id"] == CheckinIds.MODAL
        answers: dict[str, Any] = {
            CheckinIds.MOOD: "1",
            CheckinIds.ON_MIND: f"On my mind: {words}",
            CheckinIds.WIN: f"A win: {words}",
            CheckinIds.CHALLENGE: f"A challenge: {words}",
            CheckinIds.SUPPORT: f"Support: {words}",
            CheckinIds.VISIBILITY: visibility,
        }
        if hand:
            answers[CheckinIds.TELL_CONVENORS] = [CheckinIds.TELL_CONVENORS_YES.value]
        kettle.submit(cast.owner, form, build_state_values(form, answers))
        name = kettle.fake.users[cast.owner]["real_name"]
        nudged = [
            m for m in kettle.fake.dm_messages(cast.convenor) if f"note about {name}" in m["text"]
        ]
        assert len(nudged) == hand  # the box, and nothing else, tells the convenors

    return tell


def _held_days_ago(kettle: Kettle, days: int) -> date:
    """The meeting, planned for tomorrow, was held `days` ago: its date and its answers move
    back together (the health report reads the real clock)."""
    with kettle.db() as session:
        meeting = session.scalars(select(Meeting)).one()
        meeting.first_date -= timedelta(days=days)
        session.execute(update(MeetingRsvp).values(occurrence=meeting.first_date))
        return meeting.first_date


def tell_pulse(crowd: tuple[str, ...]) -> Callable[[Kettle, Surfaces, Cast, str], None]:
    def tell(kettle: Kettle, surfaces: Surfaces, cast: Cast, words: str) -> None:
        tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
        post = plan(kettle, day=tomorrow, start="10:00", duration="60", repeat="none")
        for person in (cast.owner, *crowd):
            click_on(kettle, person, post, "meeting_rsvp_maybe")
        day = _held_days_ago(kettle, 10)
        with kettle.db() as session:
            meeting = session.scalars(select(Meeting)).one()
            ends = meeting_schedule.svc.occurrence_at(meeting, day).ends_at
        meeting_schedule.run_tick(runtime.current(), ends + timedelta(minutes=5))
        surfaces.snapshot(cast)
        for person, score, note in (
            *((p, "3", "Fine, thanks") for p in crowd),
            (cast.owner, "4", f"A note: {words}"),
        ):
            pulse = next(m for m in kettle.fake.dm_messages(person) if "How was" in m["text"])
            dm = kettle.fake.dm_channel_for(person)
            click_on(kettle, person, pulse, f"meeting_pulse_score_{score}", channel=dm)
            click_on(kettle, person, pulse, "meeting_pulse_note", channel=dm)
            form = kettle.fake.last_view()
            assert form is not None
            kettle.submit(person, form, state(meeting_note=text_value(note)))
        meeting_schedule.run_tick(runtime.current(), ends + timedelta(hours=25))

    return tell


def tell_application(*, declined: bool) -> Callable[[Kettle, Surfaces, Cast, str], None]:
    def tell(kettle: Kettle, surfaces: Surfaces, cast: Cast, words: str) -> None:
        kettle.fake.add_user(APPLICANT, "Priya", tz="Europe/Madrid")
        if declined:
            apply(kettle, APPLICANT)
            with kettle.db() as session:
                application_id = session.scalars(select(Application.id)).one()
            view = open_review(kettle, application_id, cast.convenor)
            decide(kettle, view, "declined", f"Not this time: {words}", cast.convenor)
        else:
            apply(kettle, APPLICANT, {**ANSWERS, "role": f"Role: {words}", "give": words})

    return tell


def tell_profile(*, show: bool) -> Callable[[Kettle, Surfaces, Cast, str], None]:
    def tell(kettle: Kettle, surfaces: Surfaces, cast: Cast, words: str) -> None:
        surfaces.snapshot(cast)
        kettle.command(cast.owner, "/cop", "profile")
        form = kettle.fake.last_view()
        assert form is not None and form["callback_id"] == MembershipIds.PROFILE_MODAL
        answers = answers_by_block({**ANSWERS, "role": f"Role: {words}"}, agree=False)
        if show:
            answers[MembershipIds.SHOW] = [MembershipIds.SHOW_YES.value]
        kettle.submit(cast.owner, form, build_state_values(form, answers))

    return tell


def _round_by_hand(kettle: Kettle, cast: Cast) -> Round:
    kettle.command(cast.convenor, "/round", "ai joyful meetings")
    form = kettle.fake.last_view()
    assert form is not None
    values = state(
        **{
            RoundIds.TOPIC: text_value("Meetings people can't wait to come to"),
            RoundIds.MINUTES: number("0"),
            RoundIds.ANONYMOUS: checkbox_values(RoundIds.ANONYMOUS_YES.value),
        }
    )
    assert kettle.submit(cast.convenor, form, values).status == 200
    with kettle.db() as session:
        round_ = session.scalars(select(Round)).one()
        session.expunge(round_)
        return round_


def tell_contribution(*, anonymous: bool) -> Callable[[Kettle, Surfaces, Cast, str], None]:
    def tell(kettle: Kettle, surfaces: Surfaces, cast: Cast, words: str) -> None:
        round_ = _round_by_hand(kettle, cast)
        surfaces.snapshot(cast)
        kettle.click(cast.owner, RoundIds.CONTRIBUTE, value=f"{round_.id}:0")
        form = kettle.fake.last_view()
        assert form is not None and form["callback_id"] == RoundIds.CONTRIBUTE_MODAL
        values: dict[str, Any] = {RoundIds.TEXT: text_value(f"What I loved: {words}")}
        if anonymous:
            values[RoundIds.ANONYMOUS] = checkbox_values(RoundIds.ANONYMOUS_YES.value)
        kettle.submit(cast.owner, form, state(**values))
        kettle.click(cast.convenor, RoundIds.END, value=f"{round_.id}:0")  # the synthesis

    return tell


def tell_commitment(kettle: Kettle, surfaces: Surfaces, cast: Cast, words: str) -> None:
    run_set_to_a_commitment(kettle, f"I will {words}")


def tell_report(share: str | None) -> Callable[[Kettle, Surfaces, Cast, str], None]:
    def tell(kettle: Kettle, surfaces: Surfaces, cast: Cast, words: str) -> None:
        _round, commitment_id = run_set_to_a_commitment(kettle, "write to the funder")
        surfaces.snapshot(cast)
        report(kettle, commitment_id, f"How it went: {words}", share)
        surfaces.told(cast)
        propose_set(kettle, cast.owner, cast.owner)  # the next set opens with the report-back

    return tell


def tell_file(kettle: Kettle, surfaces: Surfaces, cast: Cast, words: str) -> None:
    token = words.split()[0]
    slack_file = kettle.fake.add_file(
        cast.owner, f"{token}-notes.txt", "text/plain", words.encode(), "txt"
    )
    kettle.event(file_event(kettle, cast.owner, slack_file, f"About {words}"))


SETMATES = ("USETADV", "USETM1", "USETM2")  # the adviser first; members of the CoP, not the cast


def _set_round(kettle: Kettle, number: int) -> Round:
    with kettle.db() as session:
        round_ = list(session.scalars(select(Round).order_by(Round.id)))[number - 1]
        session.expunge(round_)
        return round_


def _ticks(now: datetime) -> None:
    round_schedule.tick(now)
    set_schedule.tick(now)


def _run_to(kettle: Kettle, round_id: int, phase_key: str, now: datetime) -> datetime:
    """Tick from `now` until the set's meeting reaches the phase (its adviser resumes it
    after tea)."""
    from bot.services import rounds as svc

    for _ in range(40):
        with kettle.db() as session:
            round_ = session.get_one(Round, round_id)
            current = svc.phase_at(round_, round_.phase_index) or {}
            status, index, deadline = round_.status, round_.phase_index, round_.phase_deadline
        if status == RoundStatus.CLOSED or current.get("key") == phase_key:
            return now
        if status == RoundStatus.PAUSED:
            kettle.click(SETMATES[0], RoundIds.RESUME, value=f"{round_id}:{index}")
        else:
            now = max(now, deadline or now) + timedelta(minutes=1)
        _ticks(now)
    raise AssertionError(f"never reached {phase_key}")


def tell_in_a_set(kettle: Kettle, surfaces: Surfaces, cast: Cast, words: str) -> None:
    """A standing set the convenor starts but is not in (the owner and three others, one of
    them its adviser): the owner volunteers a problem, restates it, commits to an action and
    says what the set learned; the next meeting opens with their report-back."""
    fake = kettle.fake
    for i, user_id in enumerate(SETMATES):
        fake.add_user(user_id, f"Setmate{i}", tz="Europe/London")
    fake.set_members(COP, [*fake.members_of(COP), *SETMATES])
    for user_id in SETMATES:
        kettle.event({"type": "member_joined_channel", "user": user_id, "channel": COP})
    kettle.command(cast.convenor, "/round", "set", channel=COP)
    form = fake.last_view()
    assert form is not None and form["callback_id"] == RoundIds.SET_MODAL
    day = utcnow().date() + timedelta(days=4)
    values = {
        RoundIds.SET_NAME: text_value("Thursday set"),
        RoundIds.ADVISER: one_user(SETMATES[0]),
        RoundIds.MEMBERS: users(cast.owner, *SETMATES[1:]),
        RoundIds.RHYTHM: picked("weekly"),
        RoundIds.DAY: date_value(day.isoformat()),
        RoundIds.TIME: {"type": "timepicker", "selected_time": "20:00"},
        RoundIds.MEETINGS: number("2"),
    }
    assert kettle.submit(cast.convenor, form, state(**values)).status == 200
    with kettle.db() as session:
        first = session.scalars(select(LearningSet)).one().next_meeting_at
    assert first is not None
    _ticks(first - timedelta(days=2))
    volunteer(kettle, cast.owner, f"My problem: {words}", f"The help I want: {words}")
    _ticks(first - timedelta(minutes=90))
    confirm(kettle, cast.owner, yes=True)
    _ticks(first)
    one = _set_round(kettle, 1)
    add(kettle, cast.owner, one, f"Restated: {words}")
    now = _run_to(kettle, one.id, "actions", first)
    due = (first + timedelta(days=3)).date().isoformat()
    add(kettle, cast.owner, _set_round(kettle, 1), f"I will {words}", due)
    now = _run_to(kettle, one.id, "review", now)
    add(kettle, cast.owner, _set_round(kettle, 1), f"We learned: {words}")
    now = _run_to(kettle, one.id, "closed", now)
    second = first + timedelta(days=7)
    _ticks(second - timedelta(days=2))
    _ticks(second)  # the second meeting opens with the owner's action and the review
    with kettle.db() as session:
        assert len(list(session.scalars(select(Round).where(Round.set_id.is_not(None))))) == 2


def tell_dm_channel(kettle: Kettle, surfaces: Surfaces, cast: Cast, words: str) -> str:
    """Slack gives the owner's DM with Kettle an id; Kettle keeps it on their member row from
    the first time it writes to them."""
    dm = f"D{words.split()[0].upper()}"
    kettle.fake.dm_channel_as(cast.owner, dm)
    kettle.command(cast.owner, "/cop", "mydata")
    with kettle.db() as session:
        kept = session.scalars(select(Member.dm_channel_id).where(Member.user_id == cast.owner))
        assert list(kept) == [dm]
    return dm


INSTALLER = "UINSTALLER7"  # a workspace admin who is not in the CoP


def tell_install(kettle: Kettle, surfaces: Surfaces, cast: Cast, words: str) -> str:
    """The owner installed Kettle in the workspace by Slack's OAuth flow (the row's Kettle):
    the installation store keeps their user id beside the workspace's bot token."""
    with kettle.db() as session:
        kept = session.scalars(select(slack_installations.c.user_id))
        assert list(kept) == [cast.owner]
    return cast.owner


EVERYONE_IN_THE_COP = sees(OWNER, MEMBERS, CONVENORS, OPERATOR)

ROWS = [
    Row("Story: only the CoP", tell_story(Consent.COP_ONLY), EVERYONE_IN_THE_COP),
    Row(
        "Story: the movement without my name, approved",
        tell_story(Consent.MOVEMENT_ANONYMOUS, "approved"),
        sees(*COLUMNS),
        nameless="outside",
        forget="keep",
        outlives_forget=True,
    ),
    Row(
        "Story: the movement with my name, approved",
        tell_story(Consent.MOVEMENT_NAMED, "approved"),
        sees(*COLUMNS),
    ),
    Row(
        "Story: proposed for the movement, not yet approved",
        tell_story(Consent.MOVEMENT_NAMED, "proposed"),
        EVERYONE_IN_THE_COP,
    ),
    Row(
        "Check-in: just me",
        tell_checkin("private", hand=True),
        sees(OWNER, OPERATOR),
        nameless="others",
        same_figures=True,
    ),
    Row(
        "Check-in: me and the convenors",
        tell_checkin("convenors"),
        sees(OWNER, CONVENORS, OPERATOR),
    ),
    Row("Check-in: the whole CoP", tell_checkin("cop"), sees(OWNER, CONVENORS, OPERATOR)),
    Row(
        "Meeting pulse: fewer than three answered",
        tell_pulse(()),
        sees(OWNER, OPERATOR),
        nameless="others",
        same_figures=True,
    ),
    Row(
        "Meeting pulse: three or more answered",
        tell_pulse((MEMBER2, CONVENOR)),
        sees(OWNER, CONVENORS, OPERATOR),
        nameless="others",
        same_figures=True,
    ),
    Row(
        "Application",
        tell_application(declined=False),
        sees(OWNER, CONVENORS, OPERATOR),
        owner=APPLICANT,
    ),
    Row(
        "Decision on an application, and its reason",
        tell_application(declined=True),
        sees(OWNER, CONVENORS, OPERATOR),
        owner=APPLICANT,
    ),
    Row("Profile answer: shown", tell_profile(show=True), EVERYONE_IN_THE_COP),
    Row(
        "Profile answer: not shown",
        tell_profile(show=False),
        sees(OWNER, OPERATOR),
        same_figures=True,
    ),
    Row("Round contribution: named", tell_contribution(anonymous=False), EVERYONE_IN_THE_COP),
    Row(
        "Round contribution: anonymous",
        tell_contribution(anonymous=True),
        EVERYONE_IN_THE_COP,
        nameless="others",
        same_figures=True,
        forget="keep",
        outlives_forget=True,
    ),
    Row("Round commitment", tell_commitment, EVERYONE_IN_THE_COP),
    Row(
        "How a commitment went: private",
        tell_report(None),
        sees(OWNER, OPERATOR),
        same_figures=True,
        forget="keep",  # even when they keep their words, nobody is left who may read it
    ),
    Row("How a commitment went: shared with the CoP", tell_report("cop"), EVERYONE_IN_THE_COP),
    Row("File sent to Kettle", tell_file, sees(OWNER, OPERATOR)),
    Row(
        "Action-learning set: what is said in it",
        tell_in_a_set,
        sees(OWNER, OPERATOR),  # and the set's own members, who are none of the other columns
    ),
    Row("Kettle's DM with me (its id)", tell_dm_channel, sees(OWNER, OPERATOR)),
    Row(
        "Who installed Kettle in the workspace",
        tell_install,
        sees(OWNER, OPERATOR),
        owner=INSTALLER,
        installed=True,
    ),
]


def canary() -> tuple[str, str]:
    """A token nobody else could write, and the words it travels in: a ping and non-ASCII."""
    token = "kq" + secrets.token_hex(6)
    return token, f"{token} <!channel> @here café 秘密 ☕ & <b>"


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_who_can_ever_see_it(row: Row, request: pytest.FixtureRequest, export: Export) -> None:
    kettle: Kettle = request.getfixturevalue("installed_kettle" if row.installed else "kettle")
    cast = Cast(owner=row.owner)
    surfaces = Surfaces(kettle, export)
    token, words = canary()
    token = row.tell(kettle, surfaces, cast, words) or token
    if row.same_figures:
        assert surfaces.before is not None, "the row takes the figures before it tells"
        assert (surfaces.after or surfaces.figures(cast)) == surfaces.before
    surfaces.drive(words.split()[0][:-2], cast)

    sightings = surfaces.where(token)
    assert all("?" not in s.viewers for s in sightings), "every sighting has its viewers"
    mine = [s for s in sightings if s.surface == MY_DATA]
    assert mine and all(s.viewers == {cast.owner} for s in mine)  # theirs, and only theirs
    seen = cast.columns(set().union(*(s.viewers for s in sightings)))
    beyond = [
        (s.surface, sorted(s.viewers), s.text[:300])
        for s in sightings
        if cast.columns(set(s.viewers)) - row.sees
    ]
    assert seen == set(row.sees), beyond
    owner_name = kettle.fake.users[cast.owner]["real_name"]
    for sighting in sightings:
        others = cast.columns(set(sighting.viewers)) - {OWNER, OPERATOR}
        if (row.nameless == "others" and others) or (
            row.nameless == "outside" and MOVEMENT in others
        ):
            assert owner_name not in sighting.text, (sighting.viewers, sighting.surface)
    forget_me(kettle, export, row, cast, token)


def forget_me(kettle: Kettle, export: Export, row: Row, cast: Cast, token: str) -> None:
    """The owner asks to be forgotten: nothing Kettle keeps or shows in a channel still holds
    their words, or (where they chose to keep them) holds them beside their name or Slack id."""
    button = (
        MembershipIds.FORGET_KEEP_BUTTON
        if row.forget == "keep"
        else (MembershipIds.FORGET_DELETE_BUTTON)
    )
    kettle.click(cast.owner, button, channel="D0")
    backup = export("json", "backup")
    assert (token in backup) == row.outlives_forget
    assert cast.owner not in backup
    if not token.startswith("kq"):  # an id Slack gave: in no table at all, nor read back
        assert _tables_holding(kettle, token) == []
        assert kettle.sender.known_dm(cast.owner) is None
    for channel, info in kettle.fake.channels.items():
        if info.get("is_im") or info.get("is_mpim"):
            continue  # what Kettle told people in their DMs stays theirs (docs/privacy.md)
        for message in kettle.fake.messages(channel):
            if token in _dumps(message):
                assert row.outlives_forget, (channel, message.get("text"))
                name = kettle.fake.users[cast.owner]["real_name"]
                assert name not in _dumps(message), (channel, message.get("text"))


def _tables_holding(kettle: Kettle, needle: str) -> list[str]:
    """Every table, every column, as the database itself holds it."""
    found = []
    with kettle.db() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                if needle in _dumps(dict(row)):
                    found.append(table.name)
    return found


# -- the table itself -------------------------------------------------------------------------


def table_rows() -> list[list[str]]:
    """docs/privacy.md's table, cell by cell (the header and its rule left out)."""
    lines = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    return [row for row in cells[2:] if row and row[0]]


def test_every_row_of_the_privacy_table_has_its_test_and_says_what_it_proves() -> None:
    rows = {row.name: row for row in ROWS}
    table = table_rows()
    assert [cells[0] for cells in table] == list(rows)
    for cells in table:
        said = {
            column
            for column, cell in zip(COLUMNS, cells[1:6], strict=True)
            if cell.lower().startswith("yes")
        }
        assert said == set(rows[cells[0]].sees), cells[0]
