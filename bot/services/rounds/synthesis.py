"""What a round leaves behind, as one text kept on the round (for the closing post, the story
library and `kettle export`). An appreciative-inquiry round's reads as findings: the positive
core, the stories heard, the dreams, the provocative propositions and the commitments. A set's
is its contributions by phase and its actions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.models import ChoiceKind, Round, RoundCommitment, RoundContribution, RoundKind
from bot.services.rounds.choices import round_choices, tally
from bot.services.rounds.commitments import local_due
from bot.services.rounds.method import phase_at, prompts_, step_count, who
from bot.text import escape


def said_line(c: RoundContribution) -> str:
    """One contribution as the findings show it: a retelling names whose story it is."""
    if c.about_id is not None:
        words = prompts_()["ai"]["findings"]["retold"]
        return f"• {escape(c.text)} ({str(words).format(who=who(c.member), about=who(c.about))})"
    return f"• {escape(c.text)} ({who(c.member, c.anonymous)})"


def commitment_line(c: RoundCommitment) -> str:
    line = f"• {who(c.member)}: {escape(c.what)} (by {local_due(c):%d %b %Y})"
    words = prompts_()["ai"]["findings"]
    if c.choice is not None:
        line += str(words["serves"]).format(proposition=escape(c.choice.text))
    joining = [who(j.member) for j in c.joiners]
    if joining:
        line += str(words["joining"]).format(names=", ".join(joining))
    return line


def _by_phase(round_: Round) -> list[str]:
    lines: list[str] = []
    for index in range(step_count(round_)):
        said = [c for c in round_.contributions if c.phase_index == index and not c.awaiting]
        ph = phase_at(round_, index)
        if not said or ph is None:
            continue
        lines.append(f"*{ph['name']}*")
        lines += [said_line(c) for c in said]
    if round_.commitments:
        lines.append("*Commitments*")
        lines += [commitment_line(c) for c in round_.commitments]
    return lines


def _findings(round_: Round, session: Session) -> list[str]:
    words = prompts_()["ai"]["findings"]
    lines: list[str] = []
    core = (round_.settings or {}).get("core") or []
    if core:
        lines.append(f"*{words['core']}*")
        lines += [f"• {escape(t)}" for t in core]
    heads = [words["stories"], words["dreams"], words["designs"], words["destiny"]]
    for index, head in enumerate(heads):
        said = [c for c in round_.contributions if c.phase_index == index and not c.awaiting]
        if said:
            lines.append(f"*{head}*")
            lines += [said_line(c) for c in said]
    propositions = round_choices(session, round_, ChoiceKind.PROPOSITION)
    if propositions:
        counts = tally(session, propositions)
        lines.append(f"*{words['propositions']}*")
        lines += [
            str(words["proposition"]).format(
                text=escape(p.text),
                theme=escape(p.theme.text if p.theme else "—"),
                count=counts[p.id],
            )
            for p in sorted(propositions, key=lambda p: (-counts[p.id], p.id))
        ]
    if round_.commitments:
        lines.append(f"*{words['commitments']}*")
        lines += [commitment_line(c) for c in round_.commitments]
    return lines


def synthesis(round_: Round, session: Session | None = None) -> str:
    """The round's findings (with a session, an AI round's read as the method's findings);
    member text escaped, anonymous words never by name, a retelling only once its partner
    said yes."""
    if round_.kind == RoundKind.AI and session is not None:
        lines = _findings(round_, session)
    else:
        lines = _by_phase(round_)
    if not lines:
        lines.append("_Nothing was written down this time._")
    return "\n".join(lines)
