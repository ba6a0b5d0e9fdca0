"""Itemise a run's cost from its call rows: by (node, model, tier), per node, per model, per tier
and in total. A call with an unknown price (cost_usd NULL) keeps the total unknown: the known
part is shown as a lower bound, never as the whole."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from pipelines.errors import InputError
from pipelines.types import CallRow, CallStatus

TOKEN_COLUMNS = ("prompt_tokens", "cached_tokens", "completion_tokens", "reasoning_tokens")


@dataclass
class Totals:
    """Sums over a set of calls."""

    calls: int = 0
    """Calls that returned an answer (failed calls are only counted in failed_calls)."""
    failed_calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    known_usd: float = 0.0
    """Sum of the known costs (cache hits count $0)."""
    unknown_calls: int = 0
    """Calls billed at an unknown price: while > 0 the cost is unknown (known_usd is a floor)."""
    saved_usd: float = 0.0
    """What the cache hits would have cost (where known)."""
    price_sources: set[str] = field(default_factory=set)

    def add(self, row: CallRow) -> None:
        """Count one call (a failed one brought no answer and is not billed)."""
        if row.status != CallStatus.OK:
            self.failed_calls += 1
            return
        self.calls += 1
        for col in TOKEN_COLUMNS:
            setattr(self, col, getattr(self, col) + int(getattr(row, col) or 0))
        hit = bool(row.cache_hit)
        self.cache_hits += hit
        if hit:
            self.saved_usd += float(row.would_cost_usd or 0.0)
        elif row.cost_usd is None:
            self.unknown_calls += 1
        else:
            self.known_usd += float(row.cost_usd)
        self.price_sources.add(str(row.price_source or "unknown"))

    @property
    def usd(self) -> float | None:
        """The cost, or None while any call's price is unknown."""
        return None if self.unknown_calls else self.known_usd

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "usd": self.usd, "price_sources": sorted(self.price_sources)}


@dataclass
class Bill:
    run_id: str
    lines: dict[tuple[str, str, str], Totals]
    """(node, model, tier) -> totals."""
    nodes: dict[str, Totals]
    models: dict[str, Totals]
    tiers: dict[str, Totals]
    total: Totals

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "lines": [{"node": n, "model": m, "tier": t, **v.as_dict()}
                      for (n, m, t), v in self.lines.items()],
            "nodes": {k: v.as_dict() for k, v in self.nodes.items()},
            "models": {k: v.as_dict() for k, v in self.models.items()},
            "tiers": {k: v.as_dict() for k, v in self.tiers.items()},
            "total": self.total.as_dict(),
        }


def itemise(rows: Iterable[CallRow], run_id: str = "") -> Bill:
    """Group a run's call rows into a bill."""
    bill = Bill(run_id, {}, {}, {}, {}, Totals())
    for row in rows:
        node, model = str(row.node or "?"), str(row.model or "?")
        tier = str(row.tier or "standard")
        for bucket, key in ((bill.lines, (node, model, tier)), (bill.nodes, node),
                            (bill.models, model), (bill.tiers, tier)):
            bucket.setdefault(key, Totals()).add(row)
        bill.total.add(row)
    return bill


def format_usd(t: Totals) -> str:
    """`$0.0123`, or `unknown (>= $0.0123; 2 calls unpriced)`."""
    known = _usd(t.known_usd)
    return known if not t.unknown_calls else \
        f"unknown (>= {known}; {t.unknown_calls} call{'s' * (t.unknown_calls > 1)} unpriced)"


def _usd(x: float) -> str:
    return "$0" if x == 0 else f"${x:.6f}" if abs(x) < 1 else f"${x:,.4f}"


def format_bill(bill: Bill) -> str:
    head = f"{'node':<28} {'model':<22} {'tier':<9} {'calls':>6} {'hits':>5} " \
           f"{'prompt':>9} {'cached':>9} {'output':>9} {'reason':>8}  cost"
    out = [f"run {bill.run_id}", head, "-" * len(head)]

    def row(a: str, b: str, c: str, t: Totals) -> str:
        return (f"{a:<28} {b:<22} {c:<9} {t.calls:>6} {t.cache_hits:>5} {t.prompt_tokens:>9} "
                f"{t.cached_tokens:>9} {t.completion_tokens:>9} {t.reasoning_tokens:>8}  "
                f"{format_usd(t)}")

    for node, totals in bill.nodes.items():
        for (n, model, tier), t in bill.lines.items():
            if n == node:
                out.append(row(n, model, tier, t))
        if sum(1 for k in bill.lines if k[0] == node) > 1:
            out.append(row(f"  = {node}", "", "", totals))
    out.append("-" * len(head))
    for tier, t in bill.tiers.items():
        out.append(row("by tier", "", tier, t))
    for model, t in bill.models.items():
        out.append(row("by model", model, "", t))
    out.append(row("TOTAL", "", "", bill.total))
    out.append(f"price sources: {', '.join(sorted(bill.total.price_sources)) or '-'}")
    failed = bill.total.failed_calls
    if failed:
        out.append(f"{failed} failed call{'s' * (failed > 1)} (no answer): not billed")
    if bill.total.saved_usd:
        out.append(f"response-cache hits saved {_usd(bill.total.saved_usd)}")
    return "\n".join(out)


def _resolve_run(con: sqlite3.Connection, run: str, db: Path) -> str:
    runs = [r[0] for r in con.execute("SELECT DISTINCT run_id FROM calls")]
    if run in runs:
        return run
    matches = [r for r in runs if str(r).startswith(run)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(sorted(map(str, runs))[-10:]) or "none"
    why = "matches several runs" if matches else "is not in"
    raise InputError(f"run {run!r} {why} {db}; runs with calls: {known}")


def read_calls(store: str | Path, run: str) -> tuple[str, list[CallRow]]:
    """(run id, its call rows) from `<store>/runs.sqlite`; `run` may be a unique prefix."""
    db = Path(store) / "runs.sqlite"
    if not db.is_file():
        raise InputError(f"no run store at {db}: run a recipe first or pass --store")
    con = sqlite3.connect(db, timeout=5.0)  # read-only use; a WAL store may be mid-run
    con.row_factory = sqlite3.Row
    try:
        run_id = _resolve_run(con, run, db)
        cur = con.execute("SELECT * FROM calls WHERE run_id = ? ORDER BY rowid", (run_id,))
        return run_id, [CallRow.from_mapping(r) for r in cur]
    except sqlite3.Error as exc:
        raise InputError(f"{db}: cannot read calls ({exc})") from exc
    finally:
        con.close()
