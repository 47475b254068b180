"""The CoP's health: a short summary and a chart in three panels."""

from __future__ import annotations

import io
from typing import Any

import prompts
from bot import privacy
from bot.services.knowledge import HealthReport
from bot.text import escape, truncate


def _p() -> dict[str, Any]:
    return prompts.load("knowledge")


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
