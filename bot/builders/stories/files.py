"""The question about files a member sent Kettle by DM: are they a story?"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot.builders.common import section
from bot.builders.ids import StoryIds
from bot.builders.stories.words import words
from bot.text import escape, truncate


def file_question(names: list[str], file_ids: list[int]) -> list[dict[str, Any]]:
    p = words()
    value = ",".join(str(i) for i in file_ids)
    text = p["file_question"].format(names=escape(", ".join(names)))
    return [
        section(truncate(text, 3000)),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=p["file_yes"],
                    action_id=StoryIds.FILE_IS_STORY,
                    value=value,
                    style="primary",
                ),
                ButtonElement(text=p["file_no"], action_id=StoryIds.FILE_NOT_STORY, value=value),
            ]
        ).to_dict(),
    ]
