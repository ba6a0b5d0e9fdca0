"""Progress while a run goes: a rich live line, plain lines for CI and pipes, or nothing."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pipelines.execution.stats import Stats


def _eta(stats: Stats) -> str:
    done = stats.items_done + stats.items_failed
    elapsed = time.monotonic() - stats.started
    if done == 0 or stats.items_total == 0:
        return "?"
    left = elapsed / done * (stats.items_total - done)
    return f"{left:,.0f}s"


def summary_line(stats: Stats, limit: Callable[[], object] | None = None) -> str:
    usd = f"${stats.usd:.4f}" + (f" (+{stats.usd_unknown} unpriced)" if stats.usd_unknown else "")
    return (f"items {stats.items_done}/{stats.items_total} failed {stats.items_failed} | "
            f"calls {stats.calls} in flight {stats.in_flight} cache hits {stats.cache_hits} "
            f"resumed {stats.resumed} retries {stats.retries} errors {stats.errors} | {usd} | "
            f"ETA {_eta(stats)}")


async def show_progress(stats: Stats, mode: str, stop: asyncio.Event) -> None:
    """Render until `stop` is set. mode: rich | plain | none."""
    if mode == "none":
        await stop.wait()
        return
    if mode == "plain":
        last = ""
        while not stop.is_set():
            line = summary_line(stats)
            if line != last:
                print(line, file=sys.stderr, flush=True)
                last = line
            try:
                await asyncio.wait_for(stop.wait(), timeout=2.0)
            except asyncio.TimeoutError:
                pass
        return

    columns = (TextColumn("items"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
               TextColumn("{task.fields[detail]}"))
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("run", total=None, detail="")
        while not stop.is_set():
            usd = f"${stats.usd:.4f}" + (" (+unpriced)" if stats.usd_unknown else "")
            bar.update(task, total=stats.items_total or None,
                       completed=stats.items_done + stats.items_failed,
                       detail=f"calls {stats.calls} in flight {stats.in_flight} "
                              f"retries {stats.retries} failed {stats.items_failed} {usd}")
            try:
                await asyncio.wait_for(stop.wait(), timeout=0.25)
            except asyncio.TimeoutError:
                pass
