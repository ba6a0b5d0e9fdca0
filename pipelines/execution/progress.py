"""Progress while a run goes: a rich live line, plain lines for CI and pipes, or nothing.

The ETA is the plan's size times the measured call rate: calls still to make divided by the
calls answered per second over the last WINDOW_S seconds. It appears with the first answered
call, not when items start finishing (every item of an RSA run finishes near the end).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import deque

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from pipelines.execution.stats import Stats
from pipelines.figures import format_usd
from pipelines.nodes.llm import LLMNode
from pipelines.recipe.plan import Plan

WINDOW_S = 30.0
"""The call rate is measured over this many recent seconds (from the start until then)."""


def planned_calls(plan: Plan, items: int) -> int:
    """Calls the plan's llm nodes make over `items` items (python nodes' calls are unknown)."""
    return items * sum(n.calls_per_item(plan) for n in plan.nodes.values()
                       if isinstance(n, LLMNode))


class Eta:
    """Seconds left, from the plan's calls still to make and the recent call rate."""

    def __init__(self, stats: Stats):
        self.stats = stats
        self.samples: deque[tuple[float, int]] = deque([(stats.started, 0)])

    def seconds_left(self, now: float | None = None) -> float | None:
        """None until a call has been answered (or when nothing says how much is left)."""
        s = self.stats
        now = time.monotonic() if now is None else now
        answered = s.calls + s.errors
        self.samples.append((now, answered))
        while len(self.samples) > 2 and now - self.samples[1][0] >= WINDOW_S:
            self.samples.popleft()
        then, answered_then = self.samples[0]
        rate = (answered - answered_then) / (now - then) if now > then else 0.0
        if s.calls_planned and answered and rate > 0:
            return max(0.0, s.calls_planned - s.resumed - answered) / rate
        return self._by_items(now)

    def _by_items(self, now: float) -> float | None:
        s = self.stats
        finished = s.items_done + s.items_failed
        if finished == 0 or s.items_total == 0:
            return None
        return (now - s.started) / finished * (s.items_total - finished)


def format_eta(seconds: float | None) -> str:
    """`?`, `42s`, `3m12s`, `1h05m`."""
    if seconds is None:
        return "?"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def summary_line(stats: Stats, eta: Eta | None = None) -> str:
    return (f"items {stats.items_done}/{stats.items_total} failed {stats.items_failed} | "
            f"calls {stats.calls} in flight {stats.in_flight} cache hits {stats.cache_hits} "
            f"resumed {stats.resumed} retries {stats.retries} errors {stats.errors} | "
            f"{format_usd(stats.usd, stats.usd_unknown)} | "
            f"ETA {format_eta((eta or Eta(stats)).seconds_left())}")


async def show_progress(stats: Stats, mode: str, stop: asyncio.Event) -> None:
    """Render until `stop` is set. mode: rich | plain | none."""
    if mode == "none":
        await stop.wait()
        return
    eta = Eta(stats)
    if mode == "plain":
        await _plain(stats, eta, stop)
        return
    columns = (TextColumn("items"), BarColumn(), MofNCompleteColumn(),
               TextColumn("ETA {task.fields[eta]}"), TextColumn("{task.fields[detail]}"))
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("run", total=None, detail="", eta="?")
        while not stop.is_set():
            bar.update(task, total=stats.items_total or None,
                       completed=stats.items_done + stats.items_failed,
                       eta=format_eta(eta.seconds_left()),
                       detail=f"calls {stats.calls} in flight {stats.in_flight} "
                              f"retries {stats.retries} failed {stats.items_failed} "
                              f"{format_usd(stats.usd, stats.usd_unknown)}")
            if await _stopped(stop, 0.25):
                return


async def _plain(stats: Stats, eta: Eta, stop: asyncio.Event) -> None:
    """A line whenever it changes, checked every 2 s (and once more at the end)."""
    last, done = "", False
    while not done:
        done = await _stopped(stop, 0.0 if not last else 2.0)
        line = summary_line(stats, eta)
        if line != last:
            print(line, file=sys.stderr, flush=True)
            last = line


async def _stopped(stop: asyncio.Event, wait_s: float) -> bool:
    try:
        await asyncio.wait_for(stop.wait(), timeout=wait_s)
    except asyncio.TimeoutError:
        return False
    return True
