"""The pairing introduction, the follow-up, and the App Home section."""

from __future__ import annotations

import random
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

import prompts
from bot import privacy
from bot.builders.common import context, section
from bot.builders.ids import PairingIds
from bot.services.pairing import Choices, PairingStats
from bot.text import escape, truncate


def _p() -> dict[str, Any]:
    return prompts.load("pairing")


def _names(names: list[str]) -> str:
    names = [f"*{escape(n)}*" for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def intro_blocks(
    people: list[tuple[str, str, str | None, str | None]], *, seed: str
) -> tuple[str, list[dict[str, Any]]]:
    """`people` are (user_id, name, tz, profile text); a starter comes from a profile if any."""
    p = _p()
    rng = random.Random(seed)
    names = [name for _uid, name, _tz, _about in people]
    profiled = [(name, about) for _uid, name, _tz, about in people if about]
    if profiled:
        name, about = rng.choice(profiled)
        starter = p["profile_starter"].format(name=escape(name), about=escape(truncate(about, 400)))
    else:
        starter = rng.choice(p["starters"])
    zones = ", ".join(f"{escape(name)}: {tz or 'time zone unknown'}" for _u, name, tz, _a in people)
    text = p["intro"].format(names=_names(names))
    blocks = [
        section(text),
        section(f"{p['starter_heading']}\n{starter}"),
        context(p["zones"].format(zones=zones)),
    ]
    return text, blocks


def followup_blocks(group_id: int) -> tuple[str, list[dict[str, Any]]]:
    p = _p()
    blocks = [
        section(p["followup"]),
        ActionsBlock(
            block_id=f"{PairingIds.FOLLOWUP_PREFIX}{group_id}",
            elements=[
                ButtonElement(
                    text=p["met_yes"],
                    action_id=PairingIds.MET_YES,
                    value=str(group_id),
                    style="primary",
                ),
                ButtonElement(text=p["met_no"], action_id=PairingIds.MET_NO, value=str(group_id)),
            ],
        ).to_dict(),
    ]
    return p["followup"], blocks


def answered_blocks(met: bool) -> list[dict[str, Any]]:
    return [section(_p()["thanks_yes" if met else "thanks_no"])]


def stats_text(stats: PairingStats) -> str:
    rate = f" ({stats.rate}%)" if stats.rate is not None else ""
    return _p()["replies"]["stats_too_few" if stats.too_few else "stats"].format(
        taking_part=stats.taking_part,
        rounds=stats.rounds,
        groups=stats.groups,
        answered=stats.answered,
        met=stats.met,
        rate=rate,
        min=privacy.MIN_SHARED,
    )


def status_text(choices: Choices, *, period_days: int) -> str:
    status = _p()["status"]
    if not choices.opted_in:
        lines = [status["off"]]
    elif choices.paused:
        lines = [status["paused"]]
    else:
        lines = [status["on"].format(period=period_days)]
        if choices.skipping:
            lines.append(status["skipping"])
    if choices.avoided:
        names = ", ".join(escape(n) for n in choices.avoided)
        lines.append(status["avoiding"].format(names=names))
    return "\n".join(lines)


def home_section(
    choices: Choices, *, period_days: int, stats: PairingStats | None
) -> list[dict[str, Any]]:
    text = status_text(choices, period_days=period_days)
    if not choices.opted_in:
        buttons = [ButtonElement(text="Pair me up", action_id=PairingIds.OPT_IN, style="primary")]
    elif choices.paused:
        buttons = [
            ButtonElement(text="Resume", action_id=PairingIds.RESUME, style="primary"),
            ButtonElement(text="Stop pairing", action_id=PairingIds.OPT_OUT),
        ]
    else:
        buttons = [ButtonElement(text="Stop pairing", action_id=PairingIds.OPT_OUT)]
        if not choices.skipping:
            buttons.insert(0, ButtonElement(text="Skip next round", action_id=PairingIds.SKIP))
    blocks = [
        section(f"*One-to-one pairing*\n{text}"),
        ActionsBlock(block_id=PairingIds.HOME_ACTIONS, elements=buttons).to_dict(),
        context("`/cop pairing avoid @someone` to privately avoid being paired with someone."),
    ]
    if stats is not None:
        blocks.append(context(stats_text(stats)))
    return blocks
