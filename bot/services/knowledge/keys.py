"""Kettle's messages about a story, by their ledger keys `<kind>:<id>`: what publishing and
call-outs send, and what withdrawing and forget-me find again to take down."""

from __future__ import annotations

from bot.services import stories

PUBLICATION_POST = "publication"  # the story in the movement's channel, by publication id
CALLOUT_POST = "callout"  # a call-out's question in the movement's channel, by call-out id
PREVIEW = "publication-preview"  # the exact post, to its author for approval
TOLD_PUBLISHED = "publication-told"  # to the proposer: the author approved it
TOLD_DECLINED = "publication-declined"  # to the proposer: the author kept it in the CoP
ANSWER_NOTICE = "callout-answer"  # to the call-out's convenor: a new answer, by story id
ANSWER_THANKS = "callout-thanks"  # to whoever answered, by story id
STORY_MESSAGES = (stories.COP_POST, stories.THANKS, ANSWER_NOTICE, ANSWER_THANKS)
PUBLICATION_MESSAGES = (PUBLICATION_POST, PREVIEW, TOLD_PUBLISHED, TOLD_DECLINED)
DM_NOTES = frozenset(
    {stories.THANKS, ANSWER_NOTICE, ANSWER_THANKS, PREVIEW, TOLD_PUBLISHED, TOLD_DECLINED}
)


def message_key(kind: str, row_id: int) -> str:
    return f"{kind}:{row_id}"


def key_id(key: str) -> int:
    """The row id at the end of a ledger key."""
    tail = key.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0
