"""The /story form and a story's fields, which other forms (a call-out's answer) reuse."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)

import prompts
from bot.builders.common import context, field, modal, options, section
from bot.builders.ids import CommunityIds, StoryIds
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


# The form without prefill or files is the same for everyone until prompts/stories.toml changes:
# it is built once for the words it was built from (`prompts.load` returns the same dict until
# the file changes) and shared, since nothing changes a view after building it. Building it
# through slack_sdk's models is most of the CPU /story takes, and it is taken before the
# trigger_id's 3 seconds run out, while other people's acks wait for the same interpreter.
_plain_form: tuple[dict[str, Any], dict[str, Any]] | None = None


def story_modal(
    *,
    prefill: str = "",
    community_id: int,
    channel_id: str | None = None,
    files: Sequence[tuple[int, str]] = (),
    choices: Sequence[tuple[int, str]] = (),
    from_home: bool = False,
) -> dict:
    """The form behind /story; `prefill` is what the member typed after the command.

    `choices` are (id, name) of the CoPs a member of several may send it to, asked first.

    `files` are (id, name) of files the member sent Kettle, attached when the form is sent.

    `from_home`: opened from the App Home, which the member is back on once it is sent.
    """
    global _plain_form
    p = prompts.load("stories")
    prefill = prefill.strip()
    metadata = json.dumps(
        {
            "community_id": community_id,
            "channel_id": channel_id,
            "file_ids": [file_id for file_id, _name in files],
            **({"from_home": True} if from_home else {}),
        }
    )
    if prefill or files or choices:
        return _story_form(p, prefill=prefill, files=files, choices=choices, metadata=metadata)
    cached = _plain_form
    if cached is None or cached[0] is not p:
        cached = (p, _story_form(p, prefill="", files=(), choices=(), metadata=""))
        _plain_form = cached
    return {**cached[1], "private_metadata": metadata}


def _story_form(
    p: dict[str, Any],
    *,
    prefill: str,
    files: Sequence[tuple[int, str]],
    choices: Sequence[tuple[int, str]],
    metadata: str,
) -> dict[str, Any]:
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
        private_metadata=metadata or None,
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
