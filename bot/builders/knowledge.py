"""Block Kit for the library, publishing, call-outs, digests and tips; the health chart."""

from __future__ import annotations

import io
import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)

import prompts
from bot import privacy
from bot.builders.common import context, modal, options, safe_link, section
from bot.builders.ids import KnowledgeIds, StoryIds
from bot.builders.stories import kind_label, story_blocks
from bot.models import Callout, Member, Publication, PublicationStatus, Story, StoryFile, Tip
from bot.services.knowledge import TIP_MAX, HealthReport
from bot.services.stories import BODY_MAX, TITLE_MAX
from bot.text import escape, plain, truncate

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100


def _p() -> dict[str, Any]:
    return prompts.load("knowledge")


def _read_button(story: Story) -> ButtonElement:
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
    return SectionBlock(text=MarkdownTextObject(text=text), accessory=_read_button(story)).to_dict()


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
    p = _p()
    blocks: list[dict[str, Any]] = [
        SectionBlock(
            text=MarkdownTextObject(text=f"*{p['library_title']}*\n{p['library_intro']}"),
            accessory=ButtonElement(
                text="Search the library", action_id=KnowledgeIds.SEARCH_BUTTON
            ),
        ).to_dict()
    ]
    for story, author in recent:
        blocks.append(story_result(story, author=author))
    if is_convenor:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"{picked} stories picked for curation. "
                        "`/cop digest`, `/cop digest movement`, `/cop tips`, `/cop blog`"
                    )
                ]
            ).to_dict()
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
    blocks: list[Any] = [
        InputBlock(
            block_id=KnowledgeIds.SEARCH_WORDS,
            label="Words",
            optional=True,
            element=PlainTextInputElement(action_id=KnowledgeIds.INPUT, max_length=200),
        ),
        InputBlock(
            block_id=KnowledgeIds.SEARCH_KIND,
            label="Kind",
            optional=True,
            element=StaticSelectElement(action_id=KnowledgeIds.INPUT, options=options(kinds)),
        ),
        InputBlock(
            block_id=KnowledgeIds.SEARCH_SINCE,
            label="Told since",
            optional=True,
            element=DatePickerElement(action_id=KnowledgeIds.INPUT),
        ),
    ]
    if themes:
        blocks.insert(
            1,
            InputBlock(
                block_id=KnowledgeIds.SEARCH_THEME,
                label="Theme",
                optional=True,
                element=StaticSelectElement(
                    action_id=KnowledgeIds.INPUT,
                    options=[Option(value=t[:150], text=plain(t, 75)) for t in themes[:100]],
                ),
            ),
        )
    if authors:
        blocks.insert(
            -1,
            InputBlock(
                block_id=KnowledgeIds.SEARCH_AUTHOR,
                label="Told by",
                optional=True,
                element=StaticSelectElement(
                    action_id=KnowledgeIds.INPUT,
                    options=[
                        Option(value=str(m.id), text=plain(m.name or m.user_id, 75))
                        for m in authors[:100]
                    ],
                ),
            ),
        )
    dicts = [b.to_dict() for b in blocks]
    if results is not None:
        dicts.append(DividerBlock().to_dict())
        dicts.extend(results[: VIEW_BLOCK_LIMIT - len(dicts)])
    return modal(
        callback_id=KnowledgeIds.SEARCH_MODAL,
        title=_p()["library_title"],
        submit="Search",
        close="Done",
        private_metadata=json.dumps({"community_id": community_id}),
        blocks=dicts,
    )


def full_story_modal(
    story: Story,
    *,
    author_line: str,
    files: list[StoryFile],
    publication: Publication | None,
    changed_since: bool = False,
    may_publish: bool,
    is_convenor: bool,
    is_author: bool,
    picked: bool,
    callout_question: str | None,
    in_movement: bool = False,
) -> dict[str, Any]:
    """The whole story, with what the viewer may do next (consent decides what is offered).

    `changed_since`: the story no longer matches what its author last approved or was asked
    about, so that answer no longer stands and it may be proposed afresh.
    `in_movement`: it is out in the movement's channel (published, or in a digest), so its
    author or a convenor may withdraw it.
    """
    blocks = story_blocks(story, author_line=author_line)
    if callout_question:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f':mega: An answer to "{escape(truncate(callout_question, 200))}"'
                    )
                ]
            ).to_dict()
        )
    if files:
        names = ", ".join(
            f"<{safe_link(f.permalink)}|{escape(f.name)}>"
            if f.permalink and f.permalink.startswith("https://")
            else escape(f.name)
            for f in files
        )
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=truncate(f":paperclip: {names}", 3000))]
            ).to_dict()
        )
    status = publication.status if publication else None
    consent = prompts.load("stories")["consents"].get(story.consent.value, story.consent.value)
    note = f"Consent: {consent}"
    live = status in (PublicationStatus.PUBLISHED, PublicationStatus.PROPOSED)
    if live and changed_since:
        note += "  ·  changed since its author was asked: it needs their approval again"
    elif status == PublicationStatus.PUBLISHED:
        note += "  ·  published to the movement"
    elif in_movement:
        note += "  ·  in a digest for the movement"
    elif status == PublicationStatus.PROPOSED:
        note += "  ·  waiting for its author's approval"
    blocks.append(context(note))
    buttons: list[ButtonElement] = []
    value = str(story.id)
    if is_convenor and may_publish and (not live or changed_since):
        buttons.append(
            ButtonElement(
                text="Propose for the movement", action_id=KnowledgeIds.PROPOSE, value=value
            )
        )
    if is_convenor:
        if picked:
            buttons.append(ButtonElement(text="Unpick", action_id=KnowledgeIds.UNPICK, value=value))
        else:
            buttons.append(
                ButtonElement(text="Pick for curation", action_id=KnowledgeIds.PICK, value=value)
            )
        buttons.append(
            ButtonElement(
                text="Make a quick-fire tip", action_id=KnowledgeIds.TIP_BUTTON, value=value
            )
        )
    if in_movement and (is_author or is_convenor):
        buttons.append(_withdraw_button(KnowledgeIds.WITHDRAW_STORY, story.id))
    if buttons:
        blocks.append(ActionsBlock(elements=buttons).to_dict())
    return modal(
        callback_id=KnowledgeIds.STORY_MODAL,
        title="Story",
        close="Close",
        private_metadata=json.dumps({"story_id": story.id}),
        blocks=blocks[:VIEW_BLOCK_LIMIT],
    )


def _withdraw_button(action_id: str, value: int) -> ButtonElement:
    return ButtonElement(
        text=_p()["withdraw_label"],
        action_id=action_id,
        value=str(value),
        style="danger",
        confirm=ConfirmObject(
            title="Withdraw it?",
            text="It will be taken out of every post in the movement's channel.",
            confirm="Withdraw",
            deny="Keep it",
        ),
    )


# -- publishing --------------------------------------------------------------------------------


def movement_post(story: Story, *, name: str | None) -> list[dict[str, Any]]:
    """A story exactly as it appears in the movement's channel: named only if `name` is given."""
    return story_blocks(
        story, author_line=f"told by {escape(name)}" if name else "told anonymously"
    )


def preview_message(
    story: Story, publication: Publication, *, name: str | None, channel: str
) -> list[dict[str, Any]]:
    p = _p()
    intro = p["preview_intro"].format(
        title=escape(story.title),
        channel=f"<#{channel}>",
        naming=p["preview_named"] if name else p["preview_anonymous"],
    )
    blocks = [section(intro), DividerBlock().to_dict()]
    blocks += movement_post(story, name=name)
    blocks += [
        DividerBlock().to_dict(),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=p["approve_label"],
                    action_id=KnowledgeIds.APPROVE,
                    value=str(publication.id),
                    style="primary",
                ),
                ButtonElement(
                    text=p["decline_label"],
                    action_id=KnowledgeIds.DECLINE,
                    value=str(publication.id),
                ),
            ]
        ).to_dict(),
    ]
    return blocks


def published_message(text: str, publication: Publication) -> list[dict[str, Any]]:
    return [
        section(text),
        ActionsBlock(elements=[_withdraw_button(KnowledgeIds.WITHDRAW, publication.id)]).to_dict(),
    ]


# -- files by DM -------------------------------------------------------------------------------


def file_question(names: list[str], file_ids: list[int]) -> list[dict[str, Any]]:
    p = _p()
    value = ",".join(str(i) for i in file_ids)
    text = p["file_question"].format(names=escape(", ".join(names)))
    return [
        section(truncate(text, 3000)),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=p["file_yes"],
                    action_id=KnowledgeIds.FILE_IS_STORY,
                    value=value,
                    style="primary",
                ),
                ButtonElement(
                    text=p["file_no"], action_id=KnowledgeIds.FILE_NOT_STORY, value=value
                ),
            ]
        ).to_dict(),
    ]


# -- call-outs ---------------------------------------------------------------------------------


def callout_message(callout: Callout, *, community: str) -> list[dict[str, Any]]:
    p = _p()
    blocks: list[dict[str, Any]] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(
                    f"{p['callout_intro'].format(community=escape(community))}\n"
                    f"{escape(callout.question)}",
                    3000,
                )
            )
        ).to_dict()
    ]
    if callout.status == "open":
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=p["callout_answer_label"],
                        action_id=KnowledgeIds.ANSWER,
                        value=str(callout.id),
                        style="primary",
                    )
                ]
            ).to_dict()
        )
    else:
        blocks.append(context(p["callout_closed_note"]))
    return blocks


def answer_modal(callout: Callout) -> dict[str, Any]:
    p = _p()
    sp = prompts.load("stories")
    consents = options(p["callout_consents"])
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(p["answer_intro"].format(question=escape(callout.question)), 3000)
            )
        ),
        InputBlock(
            block_id=StoryIds.TITLE,
            label=sp["title_label"],
            element=PlainTextInputElement(action_id=StoryIds.INPUT, max_length=TITLE_MAX),
        ),
        InputBlock(
            block_id=StoryIds.BODY,
            label=sp["body_label"],
            element=PlainTextInputElement(
                action_id=StoryIds.INPUT, multiline=True, max_length=BODY_MAX
            ),
        ),
        InputBlock(
            block_id=StoryIds.KIND,
            label=sp["kind_label"],
            element=StaticSelectElement(action_id=StoryIds.INPUT, options=options(sp["kinds"])),
        ),
        InputBlock(
            block_id=StoryIds.THEMES,
            label=sp["themes_label"],
            optional=True,
            element=PlainTextInputElement(action_id=StoryIds.INPUT, max_length=400),
        ),
        InputBlock(
            block_id=StoryIds.CONSENT,
            label=sp["consent_label"],
            element=StaticSelectElement(
                action_id=StoryIds.INPUT, options=consents, initial_option=consents[0]
            ),
        ),
    ]
    return modal(
        callback_id=KnowledgeIds.ANSWER_MODAL,
        title=p["answer_modal_title"],
        submit="Send",
        close="Cancel",
        private_metadata=json.dumps({"callout_id": callout.id}),
        blocks=blocks,
    )


def new_answer_message(text: str, story: Story, callout: Callout) -> list[dict[str, Any]]:
    buttons = [_read_button(story)]
    if callout.status == "open":
        buttons.append(
            ButtonElement(
                text="Close the call-out",
                action_id=KnowledgeIds.CLOSE_CALLOUT,
                value=str(callout.id),
            )
        )
    return [
        section(truncate(text, 3000)),
        ActionsBlock(elements=buttons).to_dict(),
    ]


# -- digests and tips --------------------------------------------------------------------------


def digest_message(header: str, items: list[tuple[Story, str | None]]) -> list[dict[str, Any]]:
    """A digest: one section per story, author named only where `items` gives a name."""
    blocks: list[dict[str, Any]] = [HeaderBlock(text=plain(header, 150)).to_dict()]
    for story, name in items[: MESSAGE_BLOCK_LIMIT - 1]:
        by = f" — {escape(name)}" if name else ""
        text = (
            f"*{escape(truncate(story.title, 150))}*{by}  ·  {kind_label(story)}\n"
            f"{escape(truncate(story.body, 600))}"
        )
        blocks.append(section(truncate(text, 3000)))
    return blocks


def tips_message(header: str, tips: list[Tip]) -> list[dict[str, Any]]:
    lines = "\n".join(f"• {escape(t.text)}" for t in tips)
    blocks: list[dict[str, Any]] = [HeaderBlock(text=plain(header, 150)).to_dict()]
    # Long roundups are split across sections of at most 3,000 characters.
    chunk = ""
    for line in lines.split("\n"):
        if len(chunk) + len(line) + 1 > 2900:
            blocks.append(section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(section(chunk))
    return blocks[:MESSAGE_BLOCK_LIMIT]


def tip_modal(story: Story) -> dict[str, Any]:
    p = _p()
    return modal(
        callback_id=KnowledgeIds.TIP_MODAL,
        title=p["tip_modal_title"],
        submit="Save",
        close="Cancel",
        private_metadata=json.dumps({"story_id": story.id}),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"From *{escape(story.title)}*")),
            InputBlock(
                block_id=KnowledgeIds.TIP_TEXT,
                label=plain(p["tip_label"], 2000),
                element=PlainTextInputElement(
                    action_id=KnowledgeIds.INPUT,
                    max_length=TIP_MAX,
                    initial_value=truncate(story.title, TIP_MAX),
                ),
            ),
        ],
    )


# -- health ------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "not measured yet" if value is None else f"{round(value * 100)}%"


def _rate(report: HealthReport, name: str) -> str:
    if name in report.too_few:
        return _p()["health_too_few"].format(min=privacy.MIN_SHARED)
    return _pct(report.rates.get(name))


def health_summary(report: HealthReport) -> str:
    """A short text summary that goes with the chart."""
    p = _p()
    t = report.tiers
    told = sum(sum(c.values()) for _m, c in report.stories_by_month)
    lines = [
        f"*{escape(p['health_title'].format(community=report.community_name))}* "
        f"({report.now:%d %b %Y}, last {report.window_days} days)",
        f"• {report.member_count} members: {len(t['core'])} core, {len(t['active'])} active, "
        f"{len(t['peripheral'])} peripheral. _{p['health_intro']}_",
        f"• {told} stories in the last {len(report.stories_by_month)} months.",
    ]
    lines += [f"• {escape(name)}: {_rate(report, name)}" for name in report.rates]
    if report.new_members:
        lines.append("• New: " + ", ".join(escape(n) for n in report.new_members))
    if report.quiet_members:
        lines.append(
            "• Recently quiet (a kind word may help): "
            + ", ".join(escape(n) for n in report.quiet_members)
        )
    lines += [f"• {escape(note)}" for note in report.notes]
    return truncate("\n".join(lines), 3000)


KIND_COLOURS = {
    "success": "#2a9d8f",
    "mistake": "#e76f51",
    "learning": "#e9c46a",
    "idea": "#8ab17d",
}
TIER_COLOURS = {"core": "#264653", "active": "#2a9d8f", "peripheral": "#a8dadc"}


def health_chart(report: HealthReport) -> bytes:
    """A PNG in three panels: tiers, stories per month by kind, participation rates."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), dpi=100)
    fig.suptitle(f"{report.community_name} · {report.now:%B %Y}", fontsize=15, fontweight="bold")

    ax = axes[0]
    tiers = list(report.tiers)
    counts = [len(report.tiers[t]) for t in tiers]
    bars = ax.bar(tiers, counts, color=[TIER_COLOURS[t] for t in tiers])
    ax.bar_label(bars, padding=2)
    ax.set_title(f"Participation (last {report.window_days} days)")
    ax.set_ylabel("members")
    ax.set_ylim(0, max([*counts, 1]) * 1.25)
    ax.text(
        0.5,
        -0.16,
        "peripheral is healthy",
        transform=ax.transAxes,
        ha="center",
        fontsize=9,
        color="#555",
    )

    ax = axes[1]
    months = [m for m, _c in report.stories_by_month]
    bottom = [0] * len(months)
    for kind, colour in KIND_COLOURS.items():
        values = [c.get(kind, 0) for _m, c in report.stories_by_month]
        ax.bar(months, values, bottom=bottom, color=colour, label=kind)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title("Stories per month by kind")
    ax.set_ylim(0, max([*bottom, 1]) * 1.25)
    ax.legend(loc="upper left", fontsize=8, ncols=2, frameon=False)
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    ax.yaxis.get_major_locator().set_params(integer=True)

    ax = axes[2]
    names = list(report.rates)
    rate_values = [(v or 0) * 100 for v in report.rates.values()]
    bars = ax.barh(names, rate_values, color="#264653")
    labels = ["too few shared" if n in report.too_few else _pct(report.rates[n]) for n in names]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=9)
    ax.set_xlim(0, 130)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_title("Participation rates")
    ax.invert_yaxis()
    ax.set_xlabel("%")

    for a in axes:
        a.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
