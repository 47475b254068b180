"""/round: set up appreciative-inquiry rounds and action-learning sets, steer them, take part.
Each concern has its module; this one registers them and adds the App Home section."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from sqlalchemy.orm import Session

from bot.builders import rounds as builders
from bot.builders.common import section
from bot.builders.ids import Command, RoundIds
from bot.services import membership
from bot.services import rounds as svc
from bot.services.membership import Viewer
from handlers import home, registry
from handlers.middleware import convenors_only, members_only, members_or_choosing
from handlers.rounds.choices import (
    on_choice_vote,
    on_choices,
    on_choices_submitted,
    on_start_topic,
    on_topics,
)
from handlers.rounds.inquiry import (
    on_interview,
    on_join,
    on_library_answer,
    on_retell,
    on_retell_answer,
    on_retell_submitted,
)
from handlers.rounds.play import (
    on_contribute,
    on_contribution_submitted,
    on_report,
    on_report_submitted,
)
from handlers.rounds.presenter import on_presenter_answer
from handlers.rounds.sets import (
    on_offer_answer,
    on_offer_submitted,
    on_set,
    on_set_submitted,
    on_sets,
    on_volunteer,
)
from handlers.rounds.setup import on_ai_submitted, on_als_submitted
from handlers.rounds.steer import on_pair, steering
from handlers.rounds.threads import in_active_round, on_round_message
from handlers.rounds.words import on_ai, on_als, on_guide, on_invites, on_list, on_opt_out

USAGE = {
    "ai": "<topic>: start an appreciative-inquiry round",
    "als": ": set up an action-learning set",
    "set": ": start a standing action-learning set that meets on a rhythm",
    "sets": ": your standing sets, their next meeting and their learning reviews",
    "guide": "ai|als: how the technique works",
    "list": ": recent rounds",
    "topics": ": propose or vote on the topic of our next appreciative inquiry",
    "invites": "on|off: private invitations to join in",
}


def rounds_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    """Rounds running now, and the viewer's own standing sets (nobody else's)."""
    blocks = builders.home_section(svc.list_rounds(session, viewer.community_id or 0))
    mine = svc.my_sets(session, viewer.community_id or 0, viewer.user_id)
    if mine:
        me = membership.viewer_member(session, viewer)
        blocks.append(section(builders.set_list(mine, me.tz if me else None, {})))
    return blocks


def register(app: App) -> None:
    sub = registry.subcommand
    sub(app, Command.ROUND, "ai", on_ai, access=registry.CONVENOR, usage=USAGE["ai"])
    sub(app, Command.ROUND, "als", on_als, access=registry.MEMBER, usage=USAGE["als"])
    sub(app, Command.ROUND, "set", on_set, access=registry.MEMBER, usage=USAGE["set"])
    sub(app, Command.ROUND, "sets", on_sets, access=registry.MEMBER, usage=USAGE["sets"])
    sub(app, Command.ROUND, "guide", on_guide, access=registry.MEMBER, usage=USAGE["guide"])
    sub(app, Command.ROUND, "list", on_list, access=registry.MEMBER, usage=USAGE["list"])
    sub(app, Command.ROUND, "topics", on_topics, access=registry.MEMBER, usage=USAGE["topics"])
    sub(app, Command.ROUND, "invites", on_invites, access=registry.MEMBER, usage=USAGE["invites"])
    app.view(RoundIds.AI_MODAL, middleware=[convenors_only])(on_ai_submitted)
    app.view(RoundIds.ALS_MODAL, middleware=[members_only])(on_als_submitted)
    app.view(RoundIds.SET_MODAL, middleware=[members_only])(on_set_submitted)
    app.view(RoundIds.OFFER_MODAL, middleware=[members_only])(on_offer_submitted)
    app.action(RoundIds.VOLUNTEER, middleware=[members_only])(on_volunteer)
    app.action(RoundIds.OFFER_YES, middleware=[members_only])(on_offer_answer)
    app.action(RoundIds.OFFER_NO, middleware=[members_only])(on_offer_answer)
    app.view(RoundIds.CONTRIBUTE_MODAL, middleware=[members_only])(on_contribution_submitted)
    app.view(RoundIds.REPORT_MODAL, middleware=[members_only])(on_report_submitted)
    app.action(RoundIds.CONTRIBUTE, middleware=[members_only])(on_contribute)
    for action_id, listener in steering().items():
        app.action(action_id, middleware=[members_only])(listener)
    app.action(RoundIds.PAIR, middleware=[members_only])(on_pair)
    app.action(RoundIds.REPORT, middleware=[members_only])(on_report)
    app.action(RoundIds.OPT_OUT, middleware=[members_only])(on_opt_out)
    app.view(RoundIds.CHOICES_MODAL, middleware=[members_only])(on_choices_submitted)
    app.view(RoundIds.RETELL_MODAL, middleware=[members_only])(on_retell_submitted)
    app.action(RoundIds.CHOICES, middleware=[members_only])(on_choices)
    app.action(RoundIds.CHOICE_VOTE, middleware=[members_only])(on_choice_vote)
    app.action(RoundIds.START_TOPIC, middleware=[convenors_only])(on_start_topic)
    app.action(RoundIds.INTERVIEW, middleware=[members_only])(on_interview)
    app.action(RoundIds.RETELL, middleware=[members_only])(on_retell)
    app.action(RoundIds.RETELL_YES, middleware=[members_only])(on_retell_answer)
    app.action(RoundIds.RETELL_NO, middleware=[members_only])(on_retell_answer)
    app.action(RoundIds.JOIN, middleware=[members_only])(on_join)
    app.action(RoundIds.LIBRARY_YES, middleware=[members_only])(on_library_answer)
    app.action(RoundIds.LIBRARY_NO, middleware=[members_only])(on_library_answer)
    app.action(RoundIds.PRESENT_YES, middleware=[members_only])(on_presenter_answer)
    app.action(RoundIds.PRESENT_NO, middleware=[members_only])(on_presenter_answer)
    registry.event(
        app,
        "message",
        on_round_message,
        # someone in two CoPs writing in a set's group DM is known by the round's own CoP
        middleware=[members_or_choosing],
        matchers=[in_active_round],
    )
    home.add_section(30, "rounds", rounds_home_section)
