"""A job's cost report: the bill per tier it ran in, against running it all at once at
standard prices. Every figure is a sum over the job's recorded (metered) requests."""

from __future__ import annotations

import math
from typing import Any

from pipelines.batch.windows import SchedulePlan


TOTALLED = ("requests", "prompt_tokens", "completion_tokens", "cost_usd", "standard_usd",
            "unknown_cost")


def cost_report(tiers: list[dict[str, Any]], counts: dict[str, int]) -> dict[str, Any]:
    """The report from per-tier sums of the completed requests (`JobStore.tier_totals`)."""
    total: dict[str, Any] = {k: sum(t[k] for t in tiers) for k in TOTALLED}
    saving = total["standard_usd"] - total["cost_usd"]
    total["saving_usd"] = saving
    total["saving_pct"] = 100.0 * saving / total["standard_usd"] if total["standard_usd"] else None
    return {"tiers": {t["tier"]: {k: t[k] for k in TOTALLED} for t in tiers}, "total": total,
            "counts": counts}


def _usd(x: float | None) -> str:
    """Cents above $1; below, three significant digits (a tiny job's bill is not $0.000000)."""
    if x is None:
        return "unknown"
    if x >= 1 or x == 0:
        return f"${x:,.2f}"
    return f"${x:.{max(2, 2 - math.floor(math.log10(abs(x))))}f}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2g} s"
    return f"{seconds / 60:.0f} min" if seconds < 3600 else f"{seconds / 3600:.2f} h"


def format_report(report: dict[str, Any]) -> str:
    lines = [f"{'tier':<10} {'requests':>9} {'prompt tok':>11} {'output tok':>11} "
             f"{'bill':>12} {'at standard':>12}"]
    for tier, t in sorted(report["tiers"].items()):
        lines.append(f"{tier:<10} {t['requests']:>9} {t['prompt_tokens']:>11} "
                     f"{t['completion_tokens']:>11} {_usd(t['cost_usd']):>12} "
                     f"{_usd(t['standard_usd']):>12}")
    t = report["total"]
    lines.append(f"{'total':<10} {t['requests']:>9} {t['prompt_tokens']:>11} "
                 f"{t['completion_tokens']:>11} {_usd(t['cost_usd']):>12} "
                 f"{_usd(t['standard_usd']):>12}")
    pct = f" ({t['saving_pct']:.1f}%)" if t["saving_pct"] is not None else ""
    lines.append(f"saving vs running at once at standard prices: {_usd(t['saving_usd'])}{pct}")
    if t["unknown_cost"]:
        lines.append(f"note: {t['unknown_cost']} request(s) have no known price and are not in "
                     "the bill (set --pricing)")
    c = report["counts"]
    lines.append(f"requests: {c.get('done', 0)} done, {c.get('failed', 0)} failed, "
                 f"{c.get('rejected', 0)} rejected input lines, {c.get('pending', 0)} pending")
    return "\n".join(lines)


def format_plan(plan: SchedulePlan) -> str:
    """The schedule as `status` shows it."""
    head = {"now": "run now", "off-peak": "off-peak windows only",
            "deadline": "cheapest windows before the deadline"}[plan.kind]
    if plan.deadline:
        head += f" (deadline {plan.deadline.isoformat()})"
    lines = [f"plan: {head}; about {_duration(plan.duration_s)} at "
             f"{plan.throughput_tok_s:,.0f} tok/s", f"  (throughput: {plan.throughput_source})"]
    for w in plan.windows[:8]:
        lines.append(f"  {w.start:%Y-%m-%d %H:%M:%S} .. {w.end:%Y-%m-%d %H:%M:%S} UTC  {w.tier}")
    if len(plan.windows) > 8:
        lines.append(f"  ... {len(plan.windows) - 8} more")
    saving = plan.saving_usd
    pct = f" ({100 * saving / plan.now_usd:.1f}%)" if saving is not None and plan.now_usd else ""
    lines.append(f"expected bill {_usd(plan.expected_usd)} (at once: {_usd(plan.now_usd)}); "
                 f"saving {_usd(saving)}{pct}")
    return "\n".join(lines)
