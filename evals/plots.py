"""PNG plots of an eval report (matplotlib, headless).

matplotlib is imported when a plot is drawn, not when `evals` is imported (it is heavy).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Sequence

from evals.metrics import pareto_frontier
from evals.results import ResultRow


def _matplotlib() -> tuple[ModuleType, ModuleType]:
    """pyplot on the headless Agg backend, and matplotlib.ticker."""
    # matplotlib is heavy (~0.5 s): loaded on the first plot, not when `evals` is imported
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker as ticker

    return plt, ticker


def _figure(panels: int):
    plt, _ = _matplotlib()
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 4.2), squeeze=False)
    return plt, fig, axes[0]


def _by_dataset(rows: Sequence[ResultRow]) -> dict[str, list[ResultRow]]:
    groups: dict[str, list[ResultRow]] = defaultdict(list)
    for row in rows:
        groups[row.dataset].append(row)
    return dict(groups)


def _cost_axis(ax, costs: list[float]) -> None:
    """Log scale when costs span a wide range (grids double N, T); readable ticks either way."""
    _, ticker = _matplotlib()
    positive = [c for c in costs if c > 0]
    if positive and max(positive) / min(positive) > 4:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:.2g}"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    else:
        ax.xaxis.set_major_locator(ticker.MaxNLocator(4))
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 3))


def plot_accuracy_vs_cost(rows: Sequence[ResultRow], path: Path) -> bool:
    """Accuracy (with 95% CI) against $ per dataset, the Pareto frontier drawn and ringed.
    Rows of unknown cost cannot be placed and are left out; returns False if none is left."""
    priced = _by_dataset([r for r in rows if r.usd is not None])
    if not priced:
        return False
    plt, fig, axes = _figure(len(priced))
    recipes = sorted({r.recipe for r in rows})
    colours = {name: f"C{i % 10}" for i, name in enumerate(recipes)}
    for ax, (dataset, group) in zip(axes, priced.items()):
        for recipe in recipes:
            mine = [r for r in group if r.recipe == recipe]
            if not mine:
                continue
            ax.errorbar([r.usd for r in mine], [r.accuracy for r in mine],
                        yerr=[[r.accuracy - r.ci[0] for r in mine], [r.ci[1] - r.accuracy for r in mine]],
                        fmt="o", color=colours[recipe], label=recipe, capsize=3, alpha=0.85)
            for r in mine:
                ax.annotate(r.params, (r.usd, r.accuracy), fontsize=6, xytext=(3, 3),
                            textcoords="offset points")
        front = [group[i] for i in pareto_frontier([(r.usd, r.accuracy) for r in group])]
        ax.step([r.usd for r in front], [r.accuracy for r in front], where="post", color="black",
                linewidth=1, label="Pareto frontier")
        ax.scatter([r.usd for r in front], [r.accuracy for r in front], s=140,
                   facecolors="none", edgecolors="black")
        ax.set(title=dataset, xlabel="$ (whole dataset)", ylabel="accuracy", ylim=(-0.02, 1.02))
        _cost_axis(ax, [r.usd for r in group])
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def plot_accuracy_vs_step(rows: Sequence[ResultRow], path: Path) -> bool:
    """Majority (solid) and mean population (dashed) accuracy per RSA step, per dataset.
    Returns False when no row has two or more steps."""
    stepped = _by_dataset([r for r in rows if len(r.steps) >= 2])
    if not stepped:
        return False
    plt, fig, axes = _figure(len(stepped))
    _, ticker = _matplotlib()
    for ax, (dataset, group) in zip(axes, stepped.items()):
        for i, row in enumerate(group):
            steps = [s["step"] for s in row.steps]
            colour = f"C{i % 10}"
            ax.plot(steps, [s["majority_acc"] for s in row.steps], "-o", color=colour,
                    label=f"{row.recipe} {row.params}")
            ax.plot(steps, [s["mean_acc"] for s in row.steps], "--", color=colour, alpha=0.6)
        ax.set(title=f"{dataset} (solid: majority, dashed: mean)", xlabel="step",
               ylabel="accuracy", ylim=(-0.02, 1.02))
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True
