"""Live counters of a run: what the progress display shows and the run summary reports."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Stats:
    """Counters updated as items and calls finish (one event loop: no locking needed)."""

    items_total: int = 0
    items_done: int = 0
    items_failed: int = 0
    calls: int = 0
    """Calls answered in this process: sent, or answered by the response cache."""
    calls_planned: int = 0
    """Calls the plan makes over all items (resumed ones included); 0 when not known ahead
    (calls made by python nodes)."""
    cache_hits: int = 0
    resumed: int = 0
    """Calls completed before a --resume and reused, not repeated (not counted in `calls`)."""
    errors: int = 0
    retries: int = 0
    in_flight: int = 0
    usd: float = 0.0
    usd_unknown: int = 0
    """Calls whose price is unknown (their cost is not in `usd`)."""
    started: float = field(default_factory=time.monotonic)
