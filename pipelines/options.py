"""`RunOptions`: how a run is carried out, apart from the recipe and its params.

One object shared by `pipelines.run`, the `pipe run` CLI, eval suites (`pipe eval`) and batch
jobs (`pipe batch`), so a setting has one name, one default and one docstring everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Literal

import httpx

from pipelines.clock import Clock, SystemClock
from pipelines.types import Meter

Display = Literal["none", "plain", "rich"]


@dataclass(frozen=True)
class RunOptions:
    """Settings of one run (or one eval suite, or one batch job). Every field has a default."""

    endpoint: str | dict[str, Any] | None = None
    """`embedded`, a base URL, or an endpoint mapping; None keeps the recipe's own endpoint."""
    model: str | None = None
    """Model name sent to the endpoint; None keeps the recipe's model."""
    store: str | Path = ".pipe"
    """Folder of the run store (runs.sqlite), the response cache and artifacts."""
    resume: str | None = None
    """Run id to continue: completed calls are reused, not repeated or re-billed."""
    max_cost: float | None = None
    """Budget in USD: no call starts once spent + worst case of calls in flight would pass it.
    On `resume`, what the run spent before counts against it."""
    allow_unpriced: bool = False
    """With `max_cost`: accept calls whose price is unknown (they count as $0). Without it, a
    model with no price refuses to start, since the budget could not be kept."""
    cache: bool = True
    """Read and write the response cache (a repeated call is answered for $0)."""
    offline: bool = False
    """Answer only from the response cache; a call it cannot answer fails its item."""
    concurrency: int | None = None
    """Most calls in flight to the endpoint; None keeps the endpoint's own setting."""
    display: Display = "none"
    """Live progress on stderr: a rich line, plain lines (CI, pipes) or nothing."""
    dataset: dict[str, Any] | None = None
    """Replaces the recipe's `dataset:` block (eval suites run one recipe on many datasets)."""
    transport: httpx.AsyncBaseTransport | None = None
    """Sends HTTP somewhere other than the network (an in-process ASGI app, a fault injector)."""
    pricing: str | Path | None = None
    """`--pricing`: a price sheet or deployment profile (a YAML path, or a shipped name such as
    `deepseek` or `embedded-cpu`) for what the recipe's own `pricing:` does not price. Lookup
    order: recipe `pricing:` > this > the model id in the shipped sheets and profiles (any URL)
    > unknown. A profile prices every model at that deployment's cost."""
    meter: Meter | None = None
    """Prices calls; None builds the meter from the lookup order above."""
    on_start: Callable[[str, Any], None] | None = None
    """Called once the run is recorded, with its run id and its live counters (a
    `pipelines.execution.stats.Stats`, updated as calls finish); `pipe serve --recipe` streams
    its progress from them."""
    clock: Clock = field(default_factory=SystemClock)
    """Batch jobs only: the clock their windows and prices follow (tests run days in seconds)."""
    poll_s: float = 5.0
    """Batch jobs only: seconds between status polls of a provider's Batch API."""
    watch_s: float = 0.5
    """Batch jobs only: seconds between heartbeats and checks for a cancel from another shell."""

    def but(self, **changes: Any) -> RunOptions:
        """A copy with some fields changed."""
        return replace(self, **changes)
