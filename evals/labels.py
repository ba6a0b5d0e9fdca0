"""Point labels that never overlap: each label tries spots around its point, then further up or
down with a thin leader line, and takes the first that touches no other label, no data point
and stays inside the axes.

Offsets are in points (not data units), so a layout computed once holds in the saved file as
long as the figure is not resized or re-laid-out afterwards.
"""

from __future__ import annotations

from typing import Any, Sequence

NEAR = ((5, 3), (5, -10), (-5, 3), (-5, -10))
"""First tries, in points from the point: right-above, right-below, left-above, left-below."""
STEP = 9
"""Vertical step of the further tries, in points (about one line of 7-point text)."""
MARKER_PAD = 4
"""Half-size of the box kept clear around each data point, in pixels."""
GAP = 1.5
"""Pixels kept clear around each label, so that neighbours never touch."""


def _overlaps(box: Any, others: Sequence[Any]) -> bool:
    return any(box.overlaps(other) for other in others)


def _candidates(tries: int) -> list[tuple[float, float]]:
    """NEAR, then right/left at ±STEP, ±2 STEP, ... (nearest first)."""
    spots = list(NEAR)
    for k in range(1, tries + 1):
        for dy in (3 + k * STEP, -10 - k * STEP):
            spots += [(5, dy), (-5, dy)]
    return spots


def place_labels(ax: Any, points: Sequence[tuple[float, float]], texts: Sequence[str],
                 colours: Sequence[str] | None = None,
                 bars: Sequence[tuple[float, float, float]] = (), fontsize: float = 7,
                 tries: int = 12) -> list[Any]:
    """Annotate each (x, y) point of `ax` with its text (in its colour), without overlaps;
    returns the annotations. `bars` are vertical error bars (x, low, high) that labels keep
    off when they can. The figure must be laid out and drawn once before."""
    # matplotlib is heavy: loaded only when drawing
    from matplotlib.transforms import Bbox

    renderer = ax.figure.canvas.get_renderer()
    pixels = [ax.transData.transform(p) for p in points]
    taken = [Bbox.from_extents(x - MARKER_PAD, y - MARKER_PAD, x + MARKER_PAD, y + MARKER_PAD)
             for x, y in pixels]
    soft = []
    for x, low, high in bars:
        (x0, y0), (_, y1) = ax.transData.transform([(x, low), (x, high)])
        soft.append(Bbox.from_extents(x0 - 2, y0, x0 + 2, y1))
    placed = []
    for i in sorted(range(len(points)), key=lambda i: (pixels[i][0], -pixels[i][1])):
        colour = colours[i] if colours else "black"
        note = (_first_free(ax, renderer, points[i], texts[i], colour, fontsize, tries,
                            taken + soft)
                or _first_free(ax, renderer, points[i], texts[i], colour, fontsize, tries, taken)
                or ax.annotate(texts[i], points[i], xytext=NEAR[0], textcoords="offset points",
                               fontsize=fontsize, color=colour))  # nowhere free: keep it near
        taken.append(_text_box(note, renderer).padded(GAP))
        placed.append(note)
    return placed


def _text_box(note: Any, renderer: Any) -> Any:
    """The box of an annotation's text alone (its leader line left out)."""
    from matplotlib.text import Text  # matplotlib is heavy: loaded only when drawing

    note.update_positions(renderer)
    return Text.get_window_extent(note, renderer)


def _first_free(ax: Any, renderer: Any, point: tuple[float, float], text: str, colour: str,
                fontsize: float, tries: int, obstacles: list[Any]) -> Any | None:
    """The annotation at the first candidate spot inside the axes touching no obstacle."""
    frame = ax.get_window_extent(renderer)
    for dx, dy in _candidates(tries):
        note = ax.annotate(
            text, point, xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
            ha="left" if dx > 0 else "right", va="bottom", color=colour,
            arrowprops=(dict(arrowstyle="-", lw=0.5, color="0.55", shrinkA=0, shrinkB=2)
                        if abs(dy) > 12 else None))
        box = _text_box(note, renderer)
        inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1
                  and box.y0 >= frame.y0 and box.y1 <= frame.y1)
        if inside and not _overlaps(box.padded(GAP), obstacles):
            return note
        note.remove()
    return None
