"""The library: its result lines, the App Home's section and the search form."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    DatePickerElement,
    DividerBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)

import prompts
from bot.builders.common import VIEW_BLOCK_LIMIT, context, field, modal, options, section
from bot.builders.ids import KnowledgeIds, StoryIds
from bot.builders.stories.story import kind_label
from bot.builders.stories.words import words
from bot.models import Member, Story
from bot.text import escape, highlighted, plain, truncate


def read_button(story: Story) -> ButtonElement:
    """Opens the full story (knowledge's view of it, with what the reader may do next)."""
    return ButtonElement(text="Read", action_id=KnowledgeIds.READ, value=str(story.id))


def story_result(story: Story, *, author: str | None, snippet: str | None = None) -> dict[str, Any]:
    """One library line: title, kind, themes, author, date, and a button to read it all; from a
    search, also a snippet of the body with the words it matched in bold."""
    bits = [kind_label(story)]
    if story.themes:
        bits.append(" ".join(f"#{escape(t)}" for t in story.themes[:5]))
    if author:
        bits.append(escape(author))
    bits.append(story.created_at.strftime("%d %b %Y"))
    text = f"*{escape(truncate(story.title, 120))}*"
    if snippet:
        text += f"\n{truncate(highlighted(snippet), 900)}"
    text += f"\n{truncate('  ·  '.join(bits), 500)}"
    return SectionBlock(text=MarkdownTextObject(text=text), accessory=read_button(story)).to_dict()


def results_blocks(
    results: list[tuple[Story, str | None]] | list[tuple[Story, str | None, str]],
    *,
    heading: str,
    empty: str,
    limit: int,
    more: str | None = None,
) -> list[dict[str, Any]]:
    """A heading, the stories found (each with its snippet, from a search), and a button for
    the next page whose value carries the search (`more`), all within `limit` blocks."""
    blocks: list[dict[str, Any]] = [section(truncate(heading, 3000))]
    if not results:
        blocks.append(context(empty))
        return blocks
    room = limit - 1 - (1 if more else 0)
    for result in results[:room]:
        story, author, *snippet = result
        blocks.append(story_result(story, author=author, snippet=snippet[0] if snippet else None))
    if more:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=words()["library_more"], action_id=StoryIds.SEARCH_MORE, value=more
                    )
                ]
            ).to_dict()
        )
    return blocks


def library_section(
    recent: list[tuple[Story, str | None]],
    *,
    picked: int,
    is_convenor: bool,
    more: str | None = None,
) -> list[dict[str, Any]]:
    """The App Home's library: a search button and the latest stories, each a click from full,
    and (`more`: the next page's state) a button to page through the rest."""
    p = words()
    blocks: list[dict[str, Any]] = [
        SectionBlock(
            text=MarkdownTextObject(text=f"*{p['library_title']}*\n{p['library_intro']}"),
            accessory=ButtonElement(text="Search the library", action_id=StoryIds.SEARCH_BUTTON),
        ).to_dict()
    ]
    for story, author in recent:
        blocks.append(story_result(story, author=author))
    if more:
        button = ButtonElement(text=p["library_more"], action_id=StoryIds.SEARCH_MORE, value=more)
        blocks.append(ActionsBlock(elements=[button]).to_dict())
    if is_convenor:
        blocks.append(
            context(
                f"{picked} stories picked for curation. "
                "`/cop digest`, `/cop digest movement`, `/cop tips`, `/cop blog`"
            )
        )
    return blocks


def search_modal(
    *,
    themes: list[str],
    authors: list[Member],
    results: list[dict[str, Any]] | None = None,
    community_id: int,
) -> dict[str, Any]:
    """Browse the library by words, theme, kind, author and date; results appear below."""
    kinds = prompts.load("stories")["kinds"]
    blocks = [
        field(
            StoryIds.SEARCH_WORDS,
            "Words",
            PlainTextInputElement(action_id=StoryIds.INPUT, max_length=200),
            optional=True,
        )
    ]
    if themes:
        blocks.append(
            field(
                StoryIds.SEARCH_THEME,
                "Theme",
                StaticSelectElement(
                    action_id=StoryIds.INPUT,
                    options=[Option(value=t[:150], text=plain(t, 75)) for t in themes[:100]],
                ),
                optional=True,
            )
        )
    blocks.append(
        field(
            StoryIds.SEARCH_KIND,
            "Kind",
            StaticSelectElement(action_id=StoryIds.INPUT, options=options(kinds)),
            optional=True,
        )
    )
    if authors:
        blocks.append(
            field(
                StoryIds.SEARCH_AUTHOR,
                "Told by",
                StaticSelectElement(
                    action_id=StoryIds.INPUT,
                    options=[
                        Option(value=str(m.id), text=plain(m.name or m.user_id, 75))
                        for m in authors[:100]
                    ],
                ),
                optional=True,
            )
        )
    blocks.append(
        field(
            StoryIds.SEARCH_SINCE,
            "Told since",
            DatePickerElement(action_id=StoryIds.INPUT),
            optional=True,
        )
    )
    if results is not None:
        blocks.append(DividerBlock().to_dict())
        blocks.extend(results[: VIEW_BLOCK_LIMIT - len(blocks)])
    return modal(
        callback_id=StoryIds.SEARCH_MODAL,
        title=words()["library_title"],
        submit="Search",
        close="Done",
        private_metadata=json.dumps({"community_id": community_id}),
        blocks=blocks,
    )
