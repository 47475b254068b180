"""Block Kit for rounds: the capability's builders, one module per surface.

- `parts`: prompts, times, inputs and buttons the others are made of
- `forms`: set-up forms, the contribution form, the report form
- `thread`: the opening, phase posts with their controls, contributions, commitments, synthesis
- `messages`: invitations, "how did it go?", and the private ask to a named presenter
- `lists`: `/round list` and the App Home section
- `sets`: a standing set's form, welcome, call for presenters, confirmation, opening, list
- `inquiry`: AI's votes form, interview message, retelling and its yes, joining, library offer
"""

from __future__ import annotations

from bot.builders.rounds.forms import ai_modal, als_modal, contribute_modal, report_modal
from bot.builders.rounds.inquiry import (
    choices_modal,
    commitment_blocks,
    core_line,
    interview_message,
    library_ask,
    retell_ask,
    retell_modal,
    retold_text,
)
from bot.builders.rounds.lists import home_section, round_list
from bot.builders.rounds.messages import (
    ask_blocks,
    invite_blocks,
    presenter_answered,
    presenter_ask,
)
from bot.builders.rounds.parts import slack_time
from bot.builders.rounds.sets import (
    call_blocks,
    confirm_answered,
    confirm_blocks,
    ended,
    moved,
    moved_here,
    offer_modal,
    reminder_text,
    set_list,
    set_modal,
    small,
    welcome,
)
from bot.builders.rounds.thread import (
    commitment_text,
    contribution_text,
    controls,
    opening,
    phase_post,
    synthesis_post,
)

__all__ = [
    "ai_modal",
    "als_modal",
    "ask_blocks",
    "call_blocks",
    "choices_modal",
    "commitment_blocks",
    "commitment_text",
    "confirm_answered",
    "confirm_blocks",
    "contribute_modal",
    "contribution_text",
    "controls",
    "core_line",
    "ended",
    "home_section",
    "interview_message",
    "invite_blocks",
    "library_ask",
    "moved",
    "moved_here",
    "offer_modal",
    "opening",
    "phase_post",
    "presenter_answered",
    "presenter_ask",
    "reminder_text",
    "report_modal",
    "retell_ask",
    "retell_modal",
    "retold_text",
    "round_list",
    "set_list",
    "set_modal",
    "slack_time",
    "small",
    "synthesis_post",
    "welcome",
]
