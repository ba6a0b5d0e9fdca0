"""PNG plots of an eval report (matplotlib, headless), drawn as small multiples.

accuracy_vs_cost.png  one panel per dataset: accuracy (95% interval) against $, a colour per
                      recipe, each point labelled with its grid point, the Pareto frontier
                      drawn and ringed; one legend for every mark.
accuracy_vs_step.png  one panel per (recipe, grid point, dataset) that has 2+ RSA steps, on
                      shared axes: majority-vote, mean and pass@N accuracy per step.

matplotlib is imported when a plot is drawn, not when `evals` is imported (it is heavy).
`draw_*` return the figure (tests inspect it); `plot_*` save it and say whether there was one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any, Sequence

from evals.labels import place_labels
from evals.metrics import error_bar, pareto_frontier
from evals.results import ResultRow

DPI = 120
PANEL_IN = (4.6, 3.6)
"""Width and height of one accuracy-vs-step panel, in inches."""
COST_PANEL_IN = (7.0, 5.0)
"""One accuracy-vs-cost panel: larger, its points carry labels."""
MAX_COLUMNS = 4
"""Panels per row (a cost plot's datasets, a step plot's cells of one dataset)."""
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
"""Marker shape of each recipe, in order (the legend shows them)."""
LEGEND_IN = 1.9
"""Width of the legend band on the right of a figure, in inches."""
STEP_LINES = (("majority_acc", "-", "o", "majority vote\nof the population"),
              ("mean_acc", "--", None, "mean accuracy\nof one member"),
              ("pass_at_n", ":", None, "pass@N: some\nmember is right"))
"""(metric, line style, marker, legend text) of each curve of a step panel."""


def _pyplot() -> tuple[ModuleType, ModuleType]:
    """pyplot on the headless Agg backend, and matplotlib.ticker."""
    # matplotlib is heavy (~0.5 s): loaded on the first plot, not when `evals` is imported
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker as ticker

    return plt, ticker


def _grid(groups: Sequence[int], panel: tuple[float, float] = PANEL_IN,
          **share: Any) -> tuple[Any, list[Any]]:
    """A figure with a block of panels per group, each block starting a new row, as many
    columns as a square block of the largest group (at most MAX_COLUMNS), and a band on the
    right for the figure's legend (kept clear by `_lay_out`). Returns the panels in order."""
    plt, _ = _pyplot()
    cols = min(MAX_COLUMNS, math.ceil(math.sqrt(max(groups))))  # near square: 9 -> 3 x 3
    starts, rows = [], 0
    for size in groups:
        starts.append(rows)
        rows += math.ceil(size / cols)
    fig, axes = plt.subplots(rows, cols, squeeze=False, **share,
                             figsize=(panel[0] * cols + LEGEND_IN, panel[1] * rows))
    used = [axes[start + i // cols][i % cols] for start, size in zip(starts, groups)
            for i in range(size)]
    for ax in axes.flat:
        if all(ax is not u for u in used):
            ax.set_visible(False)
    return fig, used


def _lay_out(fig: Any, handles: list[Any]) -> None:
    """The legend in the right-hand band, the panels fitted beside it (once all are drawn)."""
    right = 1 - LEGEND_IN / fig.get_figwidth()
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(right, 0.5), fontsize=8,
               frameon=False, labelspacing=0.9)
    fig.tight_layout(rect=(0, 0, right, 1))


def _by_dataset(rows: Sequence[ResultRow]) -> dict[str, list[ResultRow]]:
    groups: dict[str, list[ResultRow]] = defaultdict(list)
    for row in rows:
        groups[row.dataset].append(row)
    return dict(groups)


def _percent_axis(ax: Any) -> None:
    _, ticker = _pyplot()
    ax.set_ylim(-0.04, 1.04)
    ax.yaxis.set_major_locator(ticker.MultipleLocator(0.25))
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    ax.grid(True, axis="y", alpha=0.3)


def _cost_axis(ax: Any, costs: list[float]) -> None:
    """Log scale when costs span a wide range (grids double N, T); padded so that labels fit."""
    _, ticker = _pyplot()
    positive = [c for c in costs if c > 0]
    low, high = (min(positive), max(positive)) if positive else (0.0, 1.0)
    if positive and high / low > 4:
        ax.set_xscale("log")
        ax.set_xlim(low / 2.2, high * 2.2)
        ax.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_dollars))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    else:
        span = (high - low) or high or 1.0
        ax.set_xlim(max(0.0, low - 0.6 * span), high + 0.6 * span)
        ax.xaxis.set_major_locator(ticker.MaxNLocator(4))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_dollars))


def _dollars(value: float, _position: Any = None) -> str:
    """A tick: `$0.002`, `$1.5`, `$1,200`; `$5e-7` below a ten-thousandth of a dollar."""
    if value == 0:
        return "$0"
    if abs(value) >= 100:
        return f"${value:,.0f}"
    if abs(value) >= 1e-4:
        return f"${value:.2g}" if abs(value) < 1 else f"${value:.3g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"${float(mantissa):g}e{int(exponent)}"


def _colours(rows: Sequence[ResultRow]) -> dict[str, str]:
    """One colour per recipe, in order of first appearance (the same in every plot)."""
    recipes = list(dict.fromkeys(r.recipe for r in rows))
    return {name: f"C{i % 10}" for i, name in enumerate(recipes)}


def _marker(index: int) -> tuple[str, float]:
    """(shape, size) of the `index`-th recipe's points: shapes differ and later recipes are
    smaller, so two cells at the same place (RSA at T=1 is self-consistency) both show."""
    return MARKERS[index % len(MARKERS)], max(4.0, 8.5 - 1.3 * index)


def draw_accuracy_vs_cost(rows: Sequence[ResultRow]) -> Any | None:
    """The accuracy-vs-$ figure; None when no row has a known cost (nothing to place)."""
    priced = _by_dataset([r for r in rows if r.usd is not None])
    if not priced:
        return None
    colours = _colours(rows)
    fig, axes = _grid([len(priced)], COST_PANEL_IN, sharey=True)
    for ax, (dataset, group) in zip(axes, priced.items()):
        _cost_panel(ax, dataset, group, colours)
    shown = {r.recipe for group in priced.values() for r in group}
    _lay_out(fig, _cost_legend([name for name in colours if name in shown], colours))
    fig.canvas.draw()  # final positions: labels are placed in screen space
    for ax, group in zip(axes, priced.values()):
        place_labels(ax, *_point_labels(group, colours),
                     bars=[(r.usd, *r.ci) for r in group])
    return fig


def _cost_panel(ax: Any, dataset: str, group: list[ResultRow], colours: dict[str, str]) -> None:
    for index, (recipe, colour) in enumerate(colours.items()):
        mine = [r for r in group if r.recipe == recipe]
        if not mine:
            continue
        below, above = zip(*(error_bar(r.accuracy, r.ci) for r in mine))
        shape, size = _marker(index)
        ax.errorbar([r.usd for r in mine], [r.accuracy for r in mine], yerr=[below, above],
                    fmt=shape, markersize=size, color=colour, ecolor=colour, elinewidth=1,
                    capsize=3, alpha=0.9, zorder=3 + index)
    front = [group[i] for i in pareto_frontier([(r.usd, r.accuracy) for r in group])]
    # the frontier's ring and step line sit under the points
    ax.step([r.usd for r in front], [r.accuracy for r in front], where="post", color="black",
            linewidth=0.8, zorder=1)
    ax.scatter([r.usd for r in front], [r.accuracy for r in front], s=170, facecolors="none",
               edgecolors="black", linewidths=0.9, zorder=2)
    items = sorted({r.items for r in group})
    ax.set_title(f"{dataset} ({'/'.join(map(str, items))} items)", fontsize=10)
    ax.set_xlabel("$ for the whole dataset", fontsize=9)
    ax.set_ylabel("accuracy", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.yaxis.set_tick_params(labelleft=True)
    _percent_axis(ax)
    _cost_axis(ax, [r.usd for r in group])


def _point_labels(group: list[ResultRow], colours: dict[str, str]
                  ) -> tuple[list[tuple[float, float]], list[str], list[str]]:
    """(points, texts, colours) with one label per place: cells at the same cost and accuracy
    share a label, a line each (in the recipe's colour when they share a recipe)."""
    at: dict[tuple[float, float], list[ResultRow]] = defaultdict(list)
    for row in group:
        at[(row.usd, row.accuracy)].append(row)
    texts = ["\n".join(r.params or r.recipe for r in cells) for cells in at.values()]
    tints = [colours[cells[0].recipe] if len({r.recipe for r in cells}) == 1 else "0.15"
             for cells in at.values()]
    return list(at), texts, tints


def _cost_legend(recipes: list[str], colours: dict[str, str]) -> list[Any]:
    """A legend entry for every mark of the cost panels."""
    from matplotlib.lines import Line2D  # matplotlib is heavy: loaded only when drawing

    handles = [Line2D([], [], marker=_marker(list(colours).index(name))[0], linestyle="",
                      color=colours[name], label=name) for name in recipes]
    return handles + [
        Line2D([], [], marker="|", markersize=12, linestyle="", color="0.3",
               label="95% interval\nof the accuracy"),
        Line2D([], [], color="black", linewidth=0.8, marker="o", markersize=11,
               markerfacecolor="none", label="Pareto frontier (ringed):\nno cheaper point is\n"
                                             "as accurate"),
    ]


def draw_accuracy_vs_step(rows: Sequence[ResultRow]) -> Any | None:
    """The accuracy-vs-step figure; None when no row has two or more steps."""
    stepped = [r for r in rows if len(r.steps) >= 2]
    if not stepped:
        return None
    _, ticker = _pyplot()
    by_dataset = _by_dataset(stepped)  # a block of panels per dataset
    stepped = [r for group in by_dataset.values() for r in group]
    fig, axes = _grid([len(g) for g in by_dataset.values()], sharex=True, sharey=True)
    colours = _colours(rows)
    for ax, row in zip(axes, stepped):
        steps = [s["step"] for s in row.steps]
        for metric, style, marker, _ in STEP_LINES:
            values = [s[metric] for s in row.steps]
            ax.plot(steps, values, linestyle=style, marker=marker, markersize=4,
                    color=colours[row.recipe], alpha=1.0 if marker else 0.7)
        final = row.steps[-1]["majority_acc"]
        ax.annotate(f"{final:.0%}", (steps[-1], final), xytext=(4, 0), textcoords="offset points",
                    fontsize=7, va="center")
        title = f"{row.recipe} {row.params}" + (f" · {row.dataset}" if len(by_dataset) > 1 else "")
        ax.set_title(title, fontsize=9)
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.tick_params(labelsize=8)
        _percent_axis(ax)
    for ax in axes:
        ax.set_xlabel("step", fontsize=9)
        ax.set_ylabel("accuracy", fontsize=9)
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.yaxis.set_tick_params(labelleft=True)
    _lay_out(fig, _step_legend())
    return fig


def _step_legend() -> list[Any]:
    from matplotlib.lines import Line2D  # matplotlib is heavy: loaded only when drawing

    return [Line2D([], [], color="0.25", linestyle=style, marker=marker, markersize=4,
                   label=text) for _, style, marker, text in STEP_LINES]


def _save(fig: Any | None, path: Path) -> bool:
    if fig is None:
        return False
    plt, _ = _pyplot()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return True


def plot_accuracy_vs_cost(rows: Sequence[ResultRow], path: Path) -> bool:
    """Write accuracy_vs_cost.png; False (nothing written) when no row has a known cost."""
    return _save(draw_accuracy_vs_cost(rows), path)


def plot_accuracy_vs_step(rows: Sequence[ResultRow], path: Path) -> bool:
    """Write accuracy_vs_step.png; False (nothing written) when no row has 2+ steps."""
    return _save(draw_accuracy_vs_step(rows), path)
