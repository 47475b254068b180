"""A member's rights: leaving, and being forgotten (with the choice about their stories)."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    MarkdownTextObject,
    SectionBlock,
)

from bot.builders.common import section
from bot.builders.ids import MembershipIds


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
