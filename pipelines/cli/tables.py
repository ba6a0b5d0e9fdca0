"""Tables that fit the terminal (80 columns, or a pipe) without cutting what users copy.

Every column gets its full width when it fits. When the table is too wide, columns that may
shrink give way in the order given (each down to its `least` width, with an ellipsis; a column
with `least=0` is left out instead of cut); the others, run ids and dollar figures among them,
are never cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rich import box
from rich.console import Console
from rich.table import Table

GAP = 2
"""Characters between two columns: one of padding, one of (blank) rule."""


@dataclass(frozen=True)
class Col:
    name: str
    right: bool = False
    """Right-aligned (numbers)."""
    shrink: int = 0
    """0: never cut. Otherwise the order in which columns give way (1 first)."""
    least: int = 4
    """The narrowest a shrinking column gets; 0: left out rather than cut."""
    wrap: bool = False
    """Fold long cells onto more lines instead of cutting them (free text, last column)."""


def widths(cols: Sequence[Col], rows: Sequence[Sequence[str]], total: int) -> list[int]:
    """Each column's width (0: left out): its widest cell, cut in `shrink` order until the
    table fits."""
    fitted = [max([len(c.name), *(len(line) for r in rows for line in r[i].splitlines())])
              for i, c in enumerate(cols)]
    excess = sum(fitted) + GAP * (len(cols) - 1) - total
    shrinking = sorted((i for i, c in enumerate(cols) if c.shrink), key=lambda i: cols[i].shrink)
    for i in shrinking:
        if excess <= 0:
            break
        if cols[i].least == 0:
            excess -= fitted[i] + GAP
            fitted[i] = 0
            continue
        cut = min(excess, max(0, fitted[i] - cols[i].least))
        fitted[i] -= cut
        excess -= cut
    for i in shrinking:  # still too wide: below `least`, down to a letter and an ellipsis
        cut = min(max(excess, 0), max(0, fitted[i] - 2))
        fitted[i] -= cut
        excess -= cut
    return fitted


def print_table(console: Console, title: str | None, cols: Sequence[Col],
                rows: Sequence[Sequence[str]]) -> None:
    """Print `rows` (cells as text) in columns that fit `console.width`; when even the uncut
    columns do not fit, lines run longer than the terminal rather than cut a run id."""
    kept = [(i, col, w) for i, (col, w) in enumerate(zip(cols, widths(cols, rows, console.width)))
            if w > 0]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for _, col, width in kept:
        table.add_column(col.name, justify="right" if col.right else "left",
                         no_wrap=not col.wrap, overflow="fold" if col.wrap else "ellipsis",
                         width=width)
    for row in rows:
        table.add_row(*(row[i] for i, _, _ in kept))
    needed = sum(w for _, _, w in kept) + GAP * (len(kept) - 1)
    if needed > console.width:  # a wider console of the same stream: rich caps widths at its own
        console = Console(width=needed, file=console.file)
    if title:  # above the table, not in it: a table narrower than its title would wrap it
        console.print(title, style="italic", soft_wrap=True, markup=False, highlight=False)
    console.print(table)
