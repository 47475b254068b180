"""Block Kit for knowledge: the full story with what the reader may do next, publishing,
call-outs, digests and tips, and the health report's summary and chart.

This is the one public face: `from bot.builders import knowledge as kb`, then `kb.tip_modal(...)`.
The modules inside import each other directly.
"""

from bot.builders.knowledge.callouts import answer_modal, callout_message, new_answer_message
from bot.builders.knowledge.curation import digest_message, tip_modal, tips_message
from bot.builders.knowledge.health import KIND_COLOURS, TIER_COLOURS, health_chart, health_summary
from bot.builders.knowledge.publishing import (
    movement_post,
    preview_message,
    published_message,
    withdraw_button,
)
from bot.builders.knowledge.story import full_story_modal

__all__ = [
    "KIND_COLOURS",
    "TIER_COLOURS",
    "answer_modal",
    "callout_message",
    "digest_message",
    "full_story_modal",
    "health_chart",
    "health_summary",
    "movement_post",
    "new_answer_message",
    "preview_message",
    "published_message",
    "tip_modal",
    "tips_message",
    "withdraw_button",
]
