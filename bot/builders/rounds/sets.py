"""A standing set's surfaces: its form, the welcome in its group DM, the call for presenters
and the volunteer's confirmation (each in the member's own zone), the offer form, a meeting's
opening, and `/round sets`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    DatePickerElement,
    InputBlock,
    NumberInputElement,
    Option,
    StaticSelectElement,
    TimePickerElement,
    UserMultiSelectElement,
    UserSelectElement,
)

from bot.builders.common import context, modal, section
from bot.builders.ids import RoundIds
from bot.builders.rounds.parts import button, prompts_, text_input
from bot.models import LearningSet, Member, Round, SetOffer, SetRhythm
from bot.services import rounds as svc
from bot.text import escape, truncate


def _s() -> dict[str, Any]:
    return dict(prompts_()["sets"])


def rhythm_words(rhythm: SetRhythm) -> str:
    return str(_s()[f"rhythm_{rhythm.value}"])


def set_modal(*, tz: str, me: str) -> dict[str, Any]:
    s = _s()
    rhythms = [Option(value=r.value, text=rhythm_words(r)) for r in SetRhythm]
    blocks: list[Any] = [
        text_input(RoundIds.SET_NAME, "The set's name", multiline=False, max_length=120),
        InputBlock(
            block_id=RoundIds.ADVISER,
            label="Set adviser (holds the process, doesn't present)",
            element=UserSelectElement(action_id=RoundIds.INPUT, initial_user=me),
        ),
        InputBlock(
            block_id=RoundIds.MEMBERS,
            label="Set members (4 to 8 with the adviser)",
            element=UserMultiSelectElement(action_id=RoundIds.INPUT, max_selected_items=8),
        ),
        InputBlock(
            block_id=RoundIds.RHYTHM,
            label="How often it meets",
            element=StaticSelectElement(
                action_id=RoundIds.INPUT, options=rhythms, initial_option=rhythms[1]
            ),
        ),
        InputBlock(
            block_id=RoundIds.DAY,
            label="First meeting",
            element=DatePickerElement(action_id=RoundIds.INPUT),
        ),
        InputBlock(
            block_id=RoundIds.TIME,
            label="Starting at",
            element=TimePickerElement(action_id=RoundIds.INPUT, initial_time="19:00"),
        ),
        context(str(s["form_hint"]).format(tz=tz)),
        InputBlock(
            block_id=RoundIds.MEETINGS,
            label="How many meetings",
            element=NumberInputElement(
                action_id=RoundIds.INPUT,
                is_decimal_allowed=False,
                min_value="1",
                max_value=str(svc.MEETINGS_MAX),
                initial_value="6",
            ),
        ),
    ]
    return modal(
        callback_id=RoundIds.SET_MODAL,
        title=str(s["modal_title"]),
        submit="Create",
        close="Cancel",
        blocks=blocks,
    )


def _people(user_ids: list[str]) -> str:
    return ", ".join(f"<@{u}>" for u in user_ids) or "—"


def welcome(set_: LearningSet, first_when: str) -> str:
    adviser = f"<@{set_.adviser.user_id}>" if set_.adviser is not None else "—"
    others = [u for u in set_.members if set_.adviser is None or u != set_.adviser.user_id]
    return str(_s()["welcome"]).format(
        name=escape(set_.name),
        members=_people(others),
        adviser=adviser,
        rhythm=rhythm_words(set_.rhythm),
        when=first_when,
    )


def moved(set_: LearningSet) -> str:
    """The one note the set's old group DM gets: that it moved (nothing said in the set)."""
    return str(_s()["moved"]).format(name=escape(set_.name))


def moved_here(set_: LearningSet) -> str:
    """The set's new group DM: why it is here, who is in it; if it is small, that the adviser
    and convenor know."""
    s = _s()
    adviser = f"<@{set_.adviser.user_id}>" if set_.adviser is not None else "—"
    others = [u for u in set_.members if set_.adviser is None or u != set_.adviser.user_id]
    text = str(s["moved_here"]).format(
        name=escape(set_.name), members=_people(others), adviser=adviser
    )
    if svc.too_small(set_):
        count = len(set_.members)
        text += "\n" + str(s["moved_small"]).format(count=count, smallest=svc.SMALLEST)
    return text


def small(set_: LearningSet) -> str:
    """To its adviser and convenor: the set is now smaller than a set should be, and what they
    can do (its name and size only)."""
    s = _s()
    text = str(s["small"]).format(
        name=escape(set_.name), count=len(set_.members), smallest=svc.SMALLEST
    )
    return text + (str(s["small_no_adviser"]) if set_.adviser_id is None else "")


def ended(set_: LearningSet) -> str:
    """The old group DM of a set too few are left in to go on."""
    return str(_s()["ended"]).format(name=escape(set_.name))


def call_blocks(set_: LearningSet, member: Member, meeting_at: datetime) -> tuple[str, list[Any]]:
    """The call for presenters, in the member's own zone; the adviser hears they advise."""
    s = _s()
    when = svc.local_when(meeting_at, member.tz)
    if member.id == set_.adviser_id:
        text = str(s["call_adviser"]).format(name=escape(set_.name), when=when)
        return text, [section(text)]
    text = str(s["call"]).format(name=escape(set_.name), when=when)
    value = f"{set_.id}:{int(meeting_at.timestamp())}"
    return text, [
        section(text),
        ActionsBlock(
            elements=[button(str(s["volunteer"]), RoundIds.VOLUNTEER, value, "primary")]
        ).to_dict(),
    ]


def reminder_text(set_: LearningSet, member: Member, meeting_at: datetime) -> str:
    """The reminder shortly before a meeting, in the member's own zone."""
    when = svc.local_when(meeting_at, member.tz)
    return str(_s()["remind"]).format(name=escape(set_.name), when=when)


def offer_modal(set_: LearningSet, meeting_at: datetime) -> dict[str, Any]:
    s = _s()
    return modal(
        callback_id=RoundIds.OFFER_MODAL,
        title=str(s["offer_title"]),
        submit="Offer",
        close="Cancel",
        private_metadata=json.dumps({"set_id": set_.id, "meeting_at": int(meeting_at.timestamp())}),
        blocks=[
            text_input(RoundIds.PROBLEM, str(s["offer_problem"]), max_length=svc.TOPIC_MAX),
            text_input(RoundIds.HELP, str(s["offer_help"]), max_length=svc.TOPIC_MAX),
        ],
    )


def confirm_blocks(offer: SetOffer) -> tuple[str, list[Any]]:
    """The volunteer's own yes before the meeting (the only place their problem shows yet)."""
    s = _s()
    text = str(s["confirm"]).format(
        name=escape(offer.learning_set.name),
        when=svc.local_when(offer.meeting_at, offer.member.tz),
        problem=escape(truncate(offer.problem, 1500)),
    )
    value = str(offer.id)
    return truncate(text, 3000), [
        section(truncate(text, 3000)),
        ActionsBlock(
            elements=[
                button(str(s["confirm_yes"]), RoundIds.OFFER_YES, value, "primary"),
                button(str(s["confirm_no"]), RoundIds.OFFER_NO, value),
            ]
        ).to_dict(),
    ]


def confirm_answered(offer: SetOffer, *, yes: bool) -> tuple[str, list[Any]]:
    s = _s()
    text = (
        str(s["confirmed"]).format(
            name=escape(offer.learning_set.name),
            when=svc.local_when(offer.meeting_at, offer.member.tz),
        )
        if yes
        else str(s["withdrawn"])
    )
    return text, [section(text)]


def set_opening(round_: Round) -> str:
    """A meeting's first post: the set, who advises and presents (with the problem and the help
    each asked for), that what is said in the set stays in the set, and the ground rule."""
    p = prompts_()["als"]
    lines = []
    for o in round_.offers:
        help_ = str(p["set_help"]).format(help=escape(o.help_wanted)) if o.help_wanted else ""
        lines.append(
            str(p["set_presenter"]).format(
                who=svc.who(o.member), problem=escape(o.problem), help=help_
            )
        )
    adviser = svc.who(round_.facilitator) if round_.facilitator else "—"
    return str(p["set_opening"]).format(
        name=escape(round_.topic),
        number=(round_.settings or {}).get("number", 1),
        adviser=adviser,
        members=_people(list(round_.set_members or [])),
        presenters="\n".join(lines) or p["set_no_presenter"],
        rule=p["rule"],
    )


def set_list(
    sets: list[LearningSet],
    viewer_tz: str | None,
    reviews: dict[int, list[tuple[Round, str, Member | None]]],
) -> str:
    """`/round sets`: the viewer's own sets, their next meeting in the viewer's zone, and what
    each set said in its learning reviews."""
    s = _s()
    if not sets:
        return str(s["list_none"])
    out = []
    for set_ in sets:
        nxt = (
            str(s["list_next"]).format(when=svc.local_when(set_.next_meeting_at, viewer_tz))
            if set_.next_meeting_at
            else str(s["list_ended"])
        )
        adviser = svc.who(set_.adviser) if set_.adviser else "—"
        out.append(
            str(s["list_head"]).format(
                name=escape(set_.name),
                rhythm=rhythm_words(set_.rhythm),
                members=_people(list(set_.members or [])),
                adviser=adviser,
                next=nxt,
            )
        )
        said = reviews.get(set_.id) or []
        if said:
            out.append(str(s["list_reviews"]))
            for meeting, text, member in said[-12:]:
                out.append(
                    str(s["list_review"]).format(
                        when=f"{meeting.started_at:%d %b}",
                        text=escape(truncate(text, 300)),
                        who=svc.who(member),
                    )
                )
    return truncate("\n".join(out), 3000)
