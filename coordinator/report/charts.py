"""The report's charts: matplotlib figures rendered to SVG text, embedded inline in the HTML page.

matplotlib is imported only when a chart is drawn (it is the `report` extra, and slow to import). No pyplot:
each chart is its own `Figure`, so nothing global is touched. The SVG draws text as paths, so Vietnamese letters
print the same on any machine, and ids are salted with a constant so the same report gives the same file.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from coordinator.report.labels import Names, number, text, weekday_short
from coordinator.report.metrics import LEVELS, QueueRow, Report, SatisfactionRow

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Printed in black and white the levels must still differ (issue 18.12): greys far apart (dark green 29 %, light
#: red 59 %, light amber 83 % luminance), a hatch pattern each but the first, every share labelled with its level.
LEVEL_COLOURS = {"satisfied": "#1b5e20", "neutral": "#ffd54f", "unsatisfied": "#ef7f7f"}
LEVEL_HATCHES = {"satisfied": "", "neutral": "...", "unsatisfied": "///"}
INK = "#222222"
GRID = "#dddddd"
WIDTH_IN = 7.0  # fits an A4 page's text width (about 180 mm)
STYLE: dict[Any, Any] = {
    "font.family": "DejaVu Sans",  # matplotlib's own font: every Vietnamese letter
    "font.size": 8.5,
    "axes.titlesize": 10,
    "axes.edgecolor": "#888888",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "motcua-report",
}


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    svg: str


def charts(report: Report, names: Names) -> list[Chart]:
    """Every chart the report has data for, in page order."""
    import matplotlib

    drawn: list[Chart | None] = []
    with matplotlib.rc_context(STYLE):
        drawn.append(_levels(report, names))
        drawn.append(_weekly(report, names))
        drawn.append(_waits(report, names))
        drawn.append(_heatmap(report, names))
        drawn.append(_busy(report, names))
    return [chart for chart in drawn if chart is not None]


def _figure(height_in: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_IN, height_in), layout="constrained")


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "motcua report"})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # inline: no XML declaration or doctype


def _levels(report: Report, names: Names) -> Chart | None:
    """100 % stacked bars: the share of each level per officer (or counter, or service)."""
    rows: Sequence[SatisfactionRow] = [report.satisfaction_total]
    for dim in ("officer", "counter", "service"):
        if dim in report.breakdowns:
            rows = [r for r in report.satisfaction_rows[dim] if r.counted]
            break
    rows = [r for r in rows if r.counted]
    if not rows:
        return None
    labels = [f"{names.of(r.dim, r.key)} ({number(r.counted, names.lang)})" for r in rows][::-1]
    figure = _figure(0.9 + 0.3 * len(rows))
    axes = figure.subplots()
    left = [0.0] * len(rows)
    for level in LEVELS:
        exact = [r.level_pct(level) or Fraction(0) for r in rows][::-1]
        shares = [float(share) for share in exact]
        bars = axes.barh(
            labels,
            shares,
            left=left,
            color=LEVEL_COLOURS[level],
            label=names.level(level),
            height=0.7,
            hatch=LEVEL_HATCHES[level],
            edgecolor="white",
            linewidth=0.6,
        )
        for bar, share in zip(bars, exact, strict=True):
            if share >= 6:
                # a boxed label with the level's initial: readable on the hatch, and on paper without colour
                caption = (
                    f"{names.level(level)[:1]} {number(share, names.lang)}"
                    if share >= 12
                    else number(share, names.lang)
                )
                x = bar.get_x() + bar.get_width() / 2
                y = bar.get_y() + bar.get_height() / 2
                axes.text(
                    x,
                    y,
                    caption,
                    ha="center",
                    va="center",
                    color=INK,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
                )
        left = [a + b for a, b in zip(left, shares, strict=True)]
    axes.set_xlim(0, 100)
    axes.set_xlabel("%")
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False)
    title = text("chart_levels", names.lang)
    return Chart("levels", title, _svg(figure))


def _weekly(report: Report, names: Names) -> Chart | None:
    weeks = [w for w in report.weekly if w.satisfaction.counted or w.served]
    if not weeks:
        return None
    lang = names.lang
    labels = [f"{w.first:%d/%m}–{w.last:%d/%m}" for w in report.weekly]
    figure = _figure(2.4)
    axes = figure.subplots()
    counted = [w.satisfaction.counted for w in report.weekly]
    axes.bar(labels, counted, color="#90a4ae", label=text("counted", lang), width=0.6)
    axes.set_ylabel(text("counted", lang))
    share_axes: Axes = axes.twinx()
    shares = [w.satisfaction.satisfied_pct for w in report.weekly]
    points = [(i, s) for i, s in enumerate(shares) if s is not None]
    if points:
        xs = [x for x, _ in points]
        ys = [float(y) for _, y in points]
        share_axes.plot(xs, ys, color=LEVEL_COLOURS["satisfied"], marker="o", label=text("satisfied_pct", lang))
        for x, y in points:
            share_axes.annotate(number(y, lang), (x, float(y)), textcoords="offset points", xytext=(0, 6), ha="center")
        low = min(ys)
        share_axes.set_ylim(max(0.0, math.floor(low / 10) * 10 - 10), 105)
    share_axes.set_ylabel(text("satisfied_pct", lang), color=LEVEL_COLOURS["satisfied"])
    share_axes.spines["right"].set_visible(True)
    return Chart("weekly", text("chart_weekly", lang), _svg(figure))


def _waits(report: Report, names: Names) -> Chart | None:
    rows: Sequence[QueueRow] = report.queue_rows.get("service", [])
    rows = [r for r in rows if r.wait.count]
    if not rows:
        return None
    lang = names.lang
    labels = [names.of("service", r.key) for r in rows][::-1]
    exact_means = [(r.wait.mean or Fraction(0)) / 60 for r in rows][::-1]
    means = [float(m) for m in exact_means]
    p90s = [float(r.wait.p90 or 0) / 60 for r in rows][::-1]
    targets = [r.target_min for r in rows][::-1]
    figure = _figure(0.9 + 0.38 * len(rows))
    axes = figure.subplots()
    positions = list(range(len(rows)))
    axes.barh([p + 0.18 for p in positions], p90s, height=0.34, color="#b0bec5", label=text("legend_p90", lang))
    axes.barh([p - 0.18 for p in positions], means, height=0.34, color="#1565c0", label=text("legend_mean", lang))
    target_points = [(t, p) for t, p in zip(targets, positions, strict=True) if t is not None]
    if target_points:
        xs, ys = zip(*target_points, strict=True)
        axes.scatter(xs, ys, marker="|", s=400, color="#c62828", label=text("legend_target", lang), zorder=3)
    for p, mean in zip(positions, exact_means, strict=True):
        axes.text(float(mean), p - 0.18, " " + number(mean, lang), va="center", fontsize=7.5)
    axes.set_yticks(positions, labels)
    axes.set_xlabel(text("minutes", lang))
    axes.grid(axis="x", color=GRID)
    axes.set_axisbelow(True)
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False)
    return Chart("waits", text("chart_waits", lang), _svg(figure))


def _heatmap(report: Report, names: Names) -> Chart | None:
    cells = report.heatmap
    if not cells:
        return None
    lang = names.lang
    weekdays = list(range(min(c.weekday for c in cells), max(c.weekday for c in cells) + 1))
    hours = list(range(min(c.hour for c in cells), max(c.hour for c in cells) + 1))
    grid = [[math.nan for _ in hours] for _ in weekdays]
    for cell in cells:
        grid[weekdays.index(cell.weekday)][hours.index(cell.hour)] = float(cell.mean_wait) / 60
    figure = _figure(0.8 + 0.32 * len(weekdays))
    axes = figure.subplots()
    image = axes.imshow(grid, cmap="YlOrRd", aspect="auto", vmin=0)
    top = max(float(c.mean_wait) / 60 for c in cells) or 1.0
    for cell in cells:
        value = cell.mean_wait / 60
        colour = "white" if value > 0.6 * top else INK
        axes.text(
            hours.index(cell.hour),
            weekdays.index(cell.weekday),
            number(value, lang),
            ha="center",
            va="center",
            color=colour,
            fontsize=7.5,
        )
    axes.set_xticks(range(len(hours)), [f"{h}h" for h in hours])
    axes.set_yticks(range(len(weekdays)), [weekday_short(d, lang) for d in weekdays])
    axes.set_xlabel(text("hour", lang))
    for spine in axes.spines.values():
        spine.set_visible(False)
    figure.colorbar(image, ax=axes, label=text("minutes", lang), shrink=0.9)
    return Chart("heatmap", text("heatmap", lang), _svg(figure))


def _busy(report: Report, names: Names) -> Chart | None:
    rows = [r for r in report.queue_rows.get("counter", []) if r.busy_pct is not None]
    if not rows:
        return None
    lang = names.lang
    labels = [names.of("counter", r.key) for r in rows][::-1]
    exact = [r.busy_pct or Fraction(0) for r in rows][::-1]
    figure = _figure(0.8 + 0.3 * len(rows))
    axes = figure.subplots()
    bars = axes.barh(labels, [float(share) for share in exact], color="#5c6bc0", height=0.6)
    for bar, share in zip(bars, exact, strict=True):
        y = bar.get_y() + bar.get_height() / 2
        axes.text(bar.get_width(), y, f" {number(share, lang)} %", va="center", fontsize=7.5)
    axes.set_xlim(0, 100)
    axes.set_xlabel("%")
    axes.grid(axis="x", color=GRID)
    axes.set_axisbelow(True)
    return Chart("busy", text("chart_busy", lang), _svg(figure))
