"""Block Kit for curation: the application form, the review, the group's mix, the directory.

The capability's one public face for builders (`from bot.builders import membership as
builders`); a module per concern inside: `apply`, `profile`, `review`, `rights`, and `common`
for what they share.
"""

from __future__ import annotations

from bot.builders.membership.apply import (
    apply_modal,
    criteria_text,
    norms_text,
    outsider_section,
    welcome_text,
)
from bot.builders.membership.common import (
    block_errors,
    local_date,
    local_time,
    mix_lines,
    packed_sections,
    question_block_id,
    with_reason,
)
from bot.builders.membership.profile import (
    directory_blocks,
    directory_text,
    member_section,
    profile_modal,
)
from bot.builders.membership.review import (
    DECISION_LABELS,
    DECISION_WORDS,
    SHOWN_CARDS,
    answer_lines,
    application_card,
    convenor_section,
    criteria_met_text,
    log_text,
    mix_summary,
    review_modal,
)
from bot.builders.membership.rights import (
    forget_blocks,
    leave_blocks,
)
from bot.builders.membership.setup import (
    checklist_blocks,
    checklist_text,
    setup_modal,
)

__all__ = [
    "DECISION_LABELS",
    "DECISION_WORDS",
    "SHOWN_CARDS",
    "answer_lines",
    "application_card",
    "apply_modal",
    "block_errors",
    "checklist_blocks",
    "checklist_text",
    "convenor_section",
    "criteria_met_text",
    "criteria_text",
    "directory_blocks",
    "directory_text",
    "forget_blocks",
    "leave_blocks",
    "local_date",
    "local_time",
    "log_text",
    "member_section",
    "mix_lines",
    "mix_summary",
    "norms_text",
    "outsider_section",
    "packed_sections",
    "profile_modal",
    "question_block_id",
    "review_modal",
    "setup_modal",
    "welcome_text",
    "with_reason",
]
