"""Block Kit for stories: the /story form, a story as posted and listed, the library and the
question about files sent by DM.

This is the builders' one public face (`from bot.builders import stories as story_builders`);
each concern has its module: `form` (the form and a story's fields), `story` (a story's own
blocks and lines), `library` (result lines, the App Home's section, the search form), `files`
(the file question), and `words` for the wording the library and the files share.
"""

from __future__ import annotations

from bot.builders.stories.files import file_question
from bot.builders.stories.form import FIELD_IDS, community_choice, story_fields, story_modal
from bot.builders.stories.library import (
    library_section,
    read_button,
    results_blocks,
    search_modal,
    story_result,
)
from bot.builders.stories.story import kind_label, story_blocks, story_fallback_text, story_line

__all__ = [
    "FIELD_IDS",
    "community_choice",
    "file_question",
    "kind_label",
    "library_section",
    "read_button",
    "results_blocks",
    "search_modal",
    "story_blocks",
    "story_fallback_text",
    "story_fields",
    "story_line",
    "story_modal",
    "story_result",
]
