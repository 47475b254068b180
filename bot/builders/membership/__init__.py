"""Block Kit for curation: the application form, the review, the group's mix, the directory."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)

import prompts
from bot.builders.common import context, date_token, modal, section
from bot.builders.ids import MembershipIds
from bot.models import Application, ApplicationStatus, Decision, Role
from bot.services.membership import (
    Criterion,
    DimensionMix,
    DirectoryEntry,
    Question,
)
from bot.text import escape, plain, truncate

DECISION_LABELS = {
    ApplicationStatus.APPROVED.value: "Approve",
    ApplicationStatus.WAITLISTED.value: "Waitlist",
    ApplicationStatus.DECLINED.value: "Decline (a reason is required)",
}

DECISION_WORDS = {
    "applied": "applied",
    "approved": "approved",
    "declined": "declined",
    "waitlisted": "waitlisted",
    "removed": "removed",
    "left": "left",
    "appointed": "appointed convenor",
    "stood_down": "stood down as convenor",
    "forgotten": "forgotten at their request",
    "capacity": "capacity changed",
    "unapproved_join": "added to the channel without approval",
}


def question_block_id(key: str) -> str:
    return f"{MembershipIds.QUESTION_PREFIX}{key}"


def block_errors(field_errors: dict[str, str]) -> dict[str, str]:
    """Service field errors (keyed by question key, "norms" or "reason") → modal block ids."""
    special = {"norms": MembershipIds.NORMS.value, "reason": MembershipIds.REASON.value}
    return {special.get(k, question_block_id(k)): v for k, v in field_errors.items()}


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def _question_input(q: Question, initial: str | None) -> InputBlock:
    element: Any
    if q.type == "select":
        options = [Option(value=v, text=plain(label, 75)) for v, label in q.options.items()][:100]
        chosen = next((o for o in options if o.value == initial), None)
        element = StaticSelectElement(
            action_id=MembershipIds.INPUT, options=options, initial_option=chosen
        )
    else:
        element = PlainTextInputElement(
            action_id=MembershipIds.INPUT,
            multiline=q.type == "long_text",
            max_length=q.max_length,
            initial_value=initial or None,
        )
    return InputBlock(
        block_id=question_block_id(q.key),
        label=plain(q.label, 2000),
        element=element,
        optional=not q.required,
    )


def criteria_text(criteria: list[Criterion]) -> str:
    return "*What we look for*\n" + _bullets([escape(c.text) for c in criteria])


def norms_text() -> str:
    return _bullets([escape(n) for n in prompts.load("membership").get("norms", [])])


def apply_modal(community_name: str, questions: list[Question], criteria: list[Criterion]) -> dict:
    """The application form: purpose and criteria first, then the profile, then the norms."""
    p = prompts.load("membership")
    blocks: list[Any] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{escape(community_name)}*\n{p['purpose']}")),
        SectionBlock(text=MarkdownTextObject(text=truncate(criteria_text(criteria), 3000))),
    ]
    blocks += [_question_input(q, None) for q in questions[:90]]
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(text=truncate(f"*{p['norms_label']}*\n{norms_text()}", 3000))
        )
    )
    blocks.append(
        InputBlock(
            block_id=MembershipIds.NORMS,
            label=plain(p["norms_label"], 2000),
            element=CheckboxesElement(
                action_id=MembershipIds.INPUT,
                options=[Option(value=MembershipIds.NORMS_YES, text=plain(p["norms_agree"], 75))],
            ),
        )
    )
    return modal(
        callback_id=MembershipIds.APPLY_MODAL,
        title=p["apply_title"],
        submit=p["apply_submit"],
        close="Cancel",
        blocks=blocks,
    )


def profile_modal(questions: list[Question], answers: dict[str, Any], show: bool) -> dict:
    show_option = Option(
        value=MembershipIds.SHOW_YES,
        text=plain("Show my answers to other members in the directory", 75),
    )
    blocks: list[Any] = [
        SectionBlock(
            text=MarkdownTextObject(
                text="Your profile helps the group know who's here and see its mix. "
                "Other members see only counts, unless you choose to show your answers."
            )
        )
    ]
    blocks += [_question_input(q, answers.get(q.key)) for q in questions[:95]]
    blocks.append(
        InputBlock(
            block_id=MembershipIds.SHOW,
            label="The member directory",
            optional=True,
            element=CheckboxesElement(
                action_id=MembershipIds.INPUT,
                options=[show_option],
                initial_options=[show_option] if show else None,
            ),
        )
    )
    return modal(
        callback_id=MembershipIds.PROFILE_MODAL,
        title="Your profile",
        submit="Save",
        close="Cancel",
        blocks=blocks,
    )


def answer_lines(questions: list[Question], answers: dict[str, Any]) -> list[str]:
    return [f"*{escape(q.label)}*: {escape(q.show(answers.get(q.key)))}" for q in questions]


def packed_sections(lines: list[str], *, limit: int = 3000, max_blocks: int = 50) -> list[dict]:
    """Lines packed into as few sections as Slack's 3000-character limit allows, so nothing
    long is cut off; past `max_blocks` the rest is counted, not dropped silently."""
    chunks: list[str] = []
    for line in lines:
        line = truncate(line, limit)
        if chunks and len(chunks[-1]) + 1 + len(line) <= limit:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    if len(chunks) > max_blocks:
        hidden = sum(chunk.count("\n") + 1 for chunk in chunks[max_blocks - 1 :])
        chunks = [*chunks[: max_blocks - 1], f"_…and {hidden} more lines._"]
    return [section(chunk) for chunk in chunks]


def with_reason(template: str, community_name: str, reason: str | None) -> str:
    """A message (from prompts) with the convenor's reason set apart as a quote, line by line:
    Slack's _italics_ and quotes do not span lines, so a multi-line reason in _…_ would show
    stray underscores. Words after `{reason}` in the template start a new paragraph."""
    quote = ""
    if reason and reason.strip():
        lines = reason.strip().splitlines()
        quote = "\n\n" + "\n".join(f">{escape(line)}" for line in lines) + "\n\n"
    text = template.format(community=escape(community_name), reason=quote)
    return text.replace("\n\n ", "\n\n").strip()


def criteria_met_text(met: list[tuple[Criterion, bool | None]]) -> str:
    marks = {True: ":white_check_mark:", False: ":x:", None: ":grey_question:"}
    lines = [f"{marks[ok]} {escape(c.text)}" for c, ok in met]
    return "*Criteria*\n" + "\n".join(lines) + "\n_:grey_question: is for the convenors to judge_"


def mix_lines(mix: list[DimensionMix], *, with_after: bool) -> list[str]:
    lines = []
    for dim in mix:
        parts = []
        for v in dim.values:
            count = f"{v.before}→{v.after}" if with_after and v.after != v.before else f"{v.before}"
            label = f"*{escape(v.label)}*" if dim.applicant_value == v.value else escape(v.label)
            parts.append(f"{label} {count}")
        line = f"*{escape(dim.label)}*: " + " · ".join(parts)
        if dim.thin_labels:
            line += f"\n      _thin on: {escape(', '.join(dim.thin_labels))}_"
        if with_after and dim.fills_thin_spot:
            line += "  :seedling: _they would strengthen a thin spot_"
        lines.append(line)
    return lines


def mix_summary(mix: list[DimensionMix]) -> str:
    """One line for a card: which thin spots this applicant would fill."""
    filled = [d.label for d in mix if d.fills_thin_spot]
    if not filled:
        return "Doesn't fill a thin spot in the group's mix."
    return "Would strengthen thin spots in: " + escape(", ".join(filled))


def review_modal(
    application: Application,
    questions: list[Question],
    met: list[tuple[Criterion, bool | None]],
    mix: list[DimensionMix],
    *,
    members: int,
    capacity: int,
) -> dict:
    status = application.status.value
    room = f"{members} of {capacity} places taken" + (
        " — the group is full: approving puts them on the waitlist" if members >= capacity else ""
    )
    options = [Option(value=v, text=label) for v, label in DECISION_LABELS.items()]
    blocks: list[Any] = [
        HeaderBlock(text=plain(f"{application.name} applied", 150)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"<@{application.user_id}> · {status} · applied "
                    f"{local_date(application.created_at)} · {room}"
                )
            ]
        ),
        *packed_sections(answer_lines(questions, application.answers)),
        SectionBlock(text=MarkdownTextObject(text=truncate(criteria_met_text(met), 3000))),
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(
                    "*How the group's mix would change* (members now → with them)\n"
                    + "\n".join(mix_lines(mix, with_after=True)),
                    3000,
                )
            )
        ),
        InputBlock(
            block_id=MembershipIds.DECISION,
            label="Decision",
            element=RadioButtonsElement(action_id=MembershipIds.INPUT, options=options),
        ),
        InputBlock(
            block_id=MembershipIds.REASON,
            label="Reason (they will read it)",
            optional=True,
            element=PlainTextInputElement(
                action_id=MembershipIds.INPUT, multiline=True, max_length=1000
            ),
        ),
    ]
    return modal(
        callback_id=MembershipIds.REVIEW_MODAL,
        title="Review application",
        submit="Decide",
        close="Cancel",
        private_metadata=json.dumps({"application_id": application.id, "status": status}),
        blocks=blocks,
    )


def application_card(
    application: Application, mix: list[DimensionMix], met_count: str
) -> list[dict]:
    waiting = " (waitlisted)" if application.status == ApplicationStatus.WAITLISTED else ""
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{escape(application.name)}*{waiting} · applied "
                f"{local_date(application.created_at)}\n{met_count} · {mix_summary(mix)}"
            ),
            accessory=ButtonElement(
                text="Review",
                action_id=MembershipIds.REVIEW_BUTTON,
                value=str(application.id),
            ),
        ).to_dict()
    ]


SHOWN_CARDS = 8


def convenor_section(
    cards: list[list[dict]], *, waiting: int, members: int, capacity: int
) -> list[dict]:
    blocks: list[dict] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*Applications* · {waiting} waiting · {members} of {capacity} places taken"
            )
        ).to_dict()
    ]
    if not cards:
        blocks.append(context("No applications are waiting."))
    for card in cards[:SHOWN_CARDS]:
        blocks.extend(card)
    if len(cards) > SHOWN_CARDS:
        more = len(cards) - SHOWN_CARDS
        blocks.append(context(f"…and {more} more waiting; they appear here as these are decided."))
    blocks.append(context("`/cop log` shows every decision; `/cop capacity N` changes the size."))
    return blocks


def member_section(mix: list[DimensionMix], members: int, has_profile: bool) -> list[dict]:
    known = [dim for dim in mix if any(v.before for v in dim.values)]
    lines = mix_lines(known, with_after=False) or [
        "_No one has filled in a profile yet, so the group's mix is still a mystery._"
    ]
    text = f"*The group* · {members} members\n" + "\n".join(lines)
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(text=truncate(text, 3000)),
            accessory=ButtonElement(
                text="Edit my profile" if has_profile else "Fill in my profile",
                action_id=MembershipIds.PROFILE_BUTTON,
            ),
        ).to_dict(),
        context("`/cop members` lists who's here · `/cop norms` · `/cop mydata` · `/cop leave`"),
    ]
    return blocks


def outsider_section(application: Application | None) -> list[dict]:
    if application is not None:
        where = (
            "on the waitlist"
            if application.status == ApplicationStatus.WAITLISTED
            else "with the convenors"
        )
        return [section(f"Your application is {where}; you'll hear back in a direct message.")]
    p = prompts.load("membership")
    return [
        SectionBlock(
            text=MarkdownTextObject(text=truncate(p["purpose"], 3000)),
            accessory=ButtonElement(
                text="Apply to join", action_id=MembershipIds.APPLY_BUTTON, style="primary"
            ),
        ).to_dict()
    ]


def _directory_lines(entries: list[DirectoryEntry]) -> list[str]:
    lines = []
    for e in entries:
        role = " (convenor)" if e.role == Role.CONVENOR else ""
        shown = "; ".join(f"{escape(k)}: {escape(v)}" for k, v in e.shown.items())
        lines.append(f"• <@{e.user_id}>{role}" + (f" — {shown}" if shown else ""))
    return lines


def directory_text(entries: list[DirectoryEntry], mix: list[DimensionMix]) -> str:
    """The directory as plain message text (the notification fallback for the blocks)."""
    text = f"*Members* ({len(entries)})\n" + "\n".join(_directory_lines(entries))
    text += "\n\n*The group's mix*\n" + "\n".join(mix_lines(mix, with_after=False))
    return truncate(text, 3000)


def directory_blocks(entries: list[DirectoryEntry], mix: list[DimensionMix]) -> list[dict]:
    """The directory in full: the mix first (it is short), then every member."""
    mix_text = "*The group's mix*\n" + "\n".join(mix_lines(mix, with_after=False))
    blocks = [section(truncate(mix_text, 3000))]
    members = [f"*Members* ({len(entries)})", *_directory_lines(entries)]
    return blocks + packed_sections(members, max_blocks=49)


def log_text(decisions: list[Decision]) -> str:
    if not decisions:
        return "No decisions yet."
    lines = []
    for d in decisions:
        who = escape(d.subject_name) if d.subject_name else ""
        by = f" by {escape(d.actor_name)}" if d.actor_id or d.actor_name != d.subject_name else ""
        why = f" — _{escape(truncate(d.reason, 200))}_" if d.reason else ""
        word = DECISION_WORDS.get(d.kind.value, d.kind.value)
        lines.append(f"• {local_time(d.created_at)} {who} {word}{by}{why}".replace("  ", " "))
    return truncate("*Decision log* (newest first)\n" + "\n".join(lines), 3000)


def local_time(when: datetime) -> str:
    """A moment Slack shows in each reader's own time zone (UTC as the fallback text)."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return date_token(aware, "{date_short} {time}", f"{aware:%d %b %Y %H:%M} UTC")


def local_date(when: datetime) -> str:
    """A day as Slack shows it in each reader's own time zone (UTC as the fallback text)."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return date_token(aware, "{date_short}", f"{aware:%d %b %Y}")


def welcome_text(community_name: str, channel_id: str | None) -> str:
    p = prompts.load("membership")
    guides = _bullets([f"<{g['url']}|{escape(g['title'])}>" for g in p.get("guides", [])])
    return p["welcome"].format(
        community=escape(community_name),
        channel=channel_id or "",
        norms=norms_text(),
        guides=guides,
    )


def leave_blocks() -> list[dict]:
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text="Leaving takes you out of the CoP channel and Kettle stops sending you "
                "check-ins and reminders. Your stories stay; `/cop forget` deletes your data."
            ),
            accessory=ButtonElement(
                text="Leave the CoP",
                action_id=MembershipIds.LEAVE_BUTTON,
                style="danger",
                confirm=ConfirmObject(
                    title="Leave the CoP?",
                    text="You can apply again later.",
                    confirm="Leave",
                    deny="Stay",
                    style="danger",
                ),
            ),
        ).to_dict()
    ]


def forget_blocks(story_count: int) -> list[dict]:
    text = (
        "Forgetting you deletes your profile, applications, check-ins and everything else Kettle "
        "holds about you, and ends your membership. It can't be undone. "
        f"You have {story_count} stor{'y' if story_count == 1 else 'ies'}: choose whether they go "
        "too, or stay in the library without your name."
    )
    confirm = ConfirmObject(
        title="Forget me?",
        text="This deletes your data for good.",
        confirm="Forget me",
        deny="Cancel",
        style="danger",
    )
    return [
        section(text),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Forget me and delete my stories",
                    action_id=MembershipIds.FORGET_DELETE_BUTTON,
                    style="danger",
                    confirm=confirm,
                ),
                ButtonElement(
                    text="Forget me, keep my stories anonymised",
                    action_id=MembershipIds.FORGET_KEEP_BUTTON,
                    confirm=confirm,
                ),
            ]
        ).to_dict(),
    ]
