"""The batch-size sweep plot explains every mark it draws."""

from __future__ import annotations

from pathlib import Path

from pipelines.cost.profiles import load_profile
from pipelines.cost.sweep import sweep, sweep_figure

PROFILES = Path(__file__).parents[3] / "recipes" / "cost" / "profiles"


def test_hollow_markers_are_the_batches_that_do_not_fit_and_the_legend_says_so():
    profile = load_profile(PROFILES / "deepseek-v3-h800-ep144.yaml")
    points = sweep(profile, (1, 8, 64, 512, 1024))
    fig = sweep_figure(profile, points)
    left, right = fig.axes
    legend = right.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "$ / 1M output tokens (left)", "tokens/s per user (right)",
        "filled: fits in GPU memory", "hollow: KV cache does not fit"]
    fits = [bool(e.fits_memory) for e in points]
    assert fits == [True, True, True, False, False]
    for ax, colour in ((left, (0.12, 0.47, 0.71)), (right, (1.0, 0.5, 0.05))):
        (markers,) = ax.collections
        faces = [tuple(round(c, 2) for c in face[:3]) for face in markers.get_facecolors()]
        assert faces == [colour if f else (1.0, 1.0, 1.0) for f in fits]
