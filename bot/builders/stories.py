"""The /story form, a story as posted in the CoP channel, story lines for lists, the library
(its lines, the App Home's section, the search form) and the question about files sent by DM."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)

import prompts
from bot.builders.common import (
    VIEW_BLOCK_LIMIT,
    context,
    field,
    modal,
    options,
    safe_link,
    section,
)
from bot.builders.ids import CommunityIds, KnowledgeIds, StoryIds
from bot.models import Member, Story
from bot.services.stories import BODY_MAX, TITLE_MAX
from bot.text import escape, plain, truncate

FIELD_IDS = {
    "title": StoryIds.TITLE.value,
    "body": StoryIds.BODY.value,
    "kind": StoryIds.KIND.value,
    "themes": StoryIds.THEMES.value,
    "media_url": StoryIds.MEDIA_URL.value,
    "consent": StoryIds.CONSENT.value,
}


def _words() -> dict[str, Any]:
    """The library's and the files' wording, kept in prompts/knowledge.toml."""
    return prompts.load("knowledge")


def story_fields(
    *,
    consents: list[Option],
    guided: bool,
    with_link: bool,
    title: str | None = None,
    body: str | None = None,
) -> list[dict[str, Any]]:
    """A story's fields, as `stories.validate_draft` reads them: title, what happened, kind,
    themes, (a link,) who may see it. `guided` adds the placeholders and hints of /story."""
    p = prompts.load("stories")
    fields = [
        field(
            StoryIds.TITLE,
            p["title_label"],
            PlainTextInputElement(
                action_id=StoryIds.INPUT,
                max_length=TITLE_MAX,
                placeholder=plain(p["title_placeholder"], 150) if guided else None,
                initial_value=title,
            ),
        ),
        field(
            StoryIds.BODY,
            p["body_label"],
            PlainTextInputElement(
                action_id=StoryIds.INPUT,
                multiline=True,
                max_length=BODY_MAX,
                placeholder=plain(p["body_placeholder"], 150) if guided else None,
                initial_value=body,
            ),
        ),
        field(
            StoryIds.KIND,
            p["kind_label"],
            StaticSelectElement(action_id=StoryIds.INPUT, options=options(p["kinds"])),
        ),
        field(
            StoryIds.THEMES,
            p["themes_label"],
            PlainTextInputElement(action_id=StoryIds.INPUT, max_length=400),
            hint=p["themes_hint"] if guided else None,
            optional=True,
        ),
    ]
    if with_link:
        fields.append(
            field(
                StoryIds.MEDIA_URL,
                p["media_label"],
                PlainTextInputElement(action_id=StoryIds.INPUT, max_length=2000),
                hint=p["media_hint"] if guided else None,
                optional=True,
            )
        )
    fields.append(
        field(
            StoryIds.CONSENT,
            p["consent_label"],
            StaticSelectElement(
                action_id=StoryIds.INPUT, options=consents, initial_option=consents[0]
            ),
        )
    )
    return fields


def story_modal(
    *,
    prefill: str = "",
    community_id: int,
    channel_id: str | None = None,
    files: Sequence[tuple[int, str]] = (),
    choices: Sequence[tuple[int, str]] = (),
) -> dict:
    """The form behind /story; `prefill` is what the member typed after the command.

    `choices` are (id, name) of the CoPs a member of several may send it to, asked first.

    `files` are (id, name) of files the member sent Kettle, attached when the form is sent.
    """
    p = prompts.load("stories")
    prefill = prefill.strip()
    post_option = Option(value=StoryIds.POST_YES.value, text=plain(p["post_label"], 75))
    blocks: list[Any] = [section(p["intro"])]
    if choices:
        blocks.append(community_choice(choices, p["community_label"]))
    if files:
        names = ", ".join(escape(name) for _id, name in files)
        blocks.append(context(truncate(f":paperclip: {names}", 3000)))
    blocks += story_fields(
        consents=options(p["consents"]),
        guided=True,
        with_link=True,
        title=truncate(prefill, TITLE_MAX) if 0 < len(prefill) <= 80 else None,
        body=truncate(prefill, BODY_MAX) if len(prefill) > 80 else None,
    )
    blocks.append(
        field(
            StoryIds.POST,
            " ",
            CheckboxesElement(action_id=StoryIds.INPUT, options=[post_option]),
            optional=True,
        )
    )
    return modal(
        callback_id=StoryIds.MODAL,
        title=p["modal_title"],
        submit=p["submit"],
        close="Cancel",
        private_metadata=json.dumps(
            {
                "community_id": community_id,
                "channel_id": channel_id,
                "file_ids": [file_id for file_id, _name in files],
            }
        ),
        blocks=blocks,
    )


def community_choice(choices: Sequence[tuple[int, str]], label: str) -> dict[str, Any]:
    """A form's "which CoP?" select (for someone who belongs to more than one)."""
    return field(
        CommunityIds.CHOICE,
        label,
        StaticSelectElement(
            action_id=StoryIds.INPUT,
            options=options({community_id: name for community_id, name in choices}),
        ),
    )


def kind_label(story: Story) -> str:
    p = prompts.load("stories")
    emoji = p.get("kind_emoji", {}).get(story.kind.value, "")
    return f"{emoji} {p['kinds'].get(story.kind.value, story.kind.value)}".strip()


def story_blocks(story: Story, *, author_line: str | None) -> list[dict[str, Any]]:
    """A story as it appears in a channel; every piece of member text is escaped."""
    meta = [kind_label(story)]
    if story.themes:
        meta.append(" · ".join(f"#{escape(t)}" for t in story.themes))
    if author_line:
        meta.append(author_line)
    body = escape(story.body)
    if story.media_url:
        body += f"\n\n:headphones: <{safe_link(story.media_url)}|Listen or watch>"
    blocks = [
        HeaderBlock(text=plain(story.title, 150)),
        SectionBlock(text=MarkdownTextObject(text=truncate(body, 3000))),
        ContextBlock(elements=[MarkdownTextObject(text=truncate("  ·  ".join(meta), 3000))]),
    ]
    return [b.to_dict() for b in blocks]


def story_fallback_text(story: Story) -> str:
    return f"A story: {escape(story.title)}"


def story_line(story: Story, *, show_author: bool) -> str:
    """One line for a list in the App Home."""
    author = ""
    if show_author and story.author is not None:
        author = f" — {escape(story.author.name)}"
    date = story.created_at.strftime("%d %b %Y")
    return f"*{escape(truncate(story.title, 120))}*{author}  ·  {kind_label(story)}  ·  {date}"


# -- the library -------------------------------------------------------------------------------


def read_button(story: Story) -> ButtonElement:
    """Opens the full story (knowledge's view of it, with what the reader may do next)."""
    return ButtonElement(text="Read", action_id=KnowledgeIds.READ, value=str(story.id))


def story_result(story: Story, *, author: str | None) -> dict[str, Any]:
    """One library line: title, kind, themes, author, date, and a button to read it all."""
    bits = [kind_label(story)]
    if story.themes:
        bits.append(" ".join(f"#{escape(t)}" for t in story.themes[:5]))
    if author:
        bits.append(escape(author))
    bits.append(story.created_at.strftime("%d %b %Y"))
    text = f"*{escape(truncate(story.title, 120))}*\n{truncate('  ·  '.join(bits), 500)}"
    return SectionBlock(text=MarkdownTextObject(text=text), accessory=read_button(story)).to_dict()


def results_blocks(
    results: list[tuple[Story, str | None]], *, heading: str, empty: str, limit: int
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [section(truncate(heading, 3000))]
    if not results:
        blocks.append(context(empty))
        return blocks
    for story, author in results[: limit - 1]:
        blocks.append(story_result(story, author=author))
    return blocks


def library_section(
    recent: list[tuple[Story, str | None]], *, picked: int, is_convenor: bool
) -> list[dict[str, Any]]:
    """The App Home's library: a search button and the latest stories, each a click from full."""
    p = _words()
    blocks: list[dict[str, Any]] = [
        SectionBlock(
            text=MarkdownTextObject(text=f"*{p['library_title']}*\n{p['library_intro']}"),
            accessory=ButtonElement(text="Search the library", action_id=StoryIds.SEARCH_BUTTON),
        ).to_dict()
    ]
    for story, author in recent:
        blocks.append(story_result(story, author=author))
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
        title=_words()["library_title"],
        submit="Search",
        close="Done",
        private_metadata=json.dumps({"community_id": community_id}),
        blocks=blocks,
    )


# -- files sent by DM --------------------------------------------------------------------------


def file_question(names: list[str], file_ids: list[int]) -> list[dict[str, Any]]:
    p = _words()
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
