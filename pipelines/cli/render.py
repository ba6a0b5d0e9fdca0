"""Rendering of API results for the terminal (rich tables) and for scripts (JSON)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from rich.console import Console
from rich.table import Table

import pipelines
from pipelines import ItemStatus

console = Console()


def _usd(value: float | None, unknown: int = 0) -> str:
    if value is None:
        return "unknown"
    return f"${value:.6f}" + (f" (+{unknown} unknown)" if unknown else "")


def print_run_result(result: pipelines.RunResult, *, as_json: bool, store: str) -> None:
    s = result.stats
    summary = {"run_id": result.run_id, "status": result.status, "exit_code": result.exit_code,
               "items_ok": sum(1 for i in result.items if i["status"] == ItemStatus.OK),
               "items_failed": sum(1 for i in result.items if i["status"] == ItemStatus.FAILED),
               "items_budget": sum(1 for i in result.items if i["status"] == ItemStatus.BUDGET),
               "calls": s.calls if s else 0, "cache_hits": s.cache_hits if s else 0,
               "resumed_calls": s.resumed if s else 0, "usd": s.usd if s else 0.0,
               "unpriced_calls": s.usd_unknown if s else 0}
    if as_json:
        print(json.dumps({**summary, "items": result.items}, default=str))
        return
    table = Table(title=f"run {result.run_id} — {result.status}")
    table.add_column("item")
    table.add_column("status")
    table.add_column("outputs / error", overflow="fold")
    for item in result.items[:50]:
        body = item["error"] if item["status"] != ItemStatus.OK else json.dumps(item["outputs"], default=str)
        table.add_row(item["item_id"], item["status"], (body or "")[:300])
    console.print(table)
    console.print(f"{summary['items_ok']} ok, {summary['items_failed']} failed, "
                  f"{summary['items_budget']} stopped by budget | calls {summary['calls']} "
                  f"(cache hits {summary['cache_hits']}, resumed {summary['resumed_calls']}) | "
                  f"{_usd(summary['usd'], summary['unpriced_calls'])} | "
                  f"details: pipe show {result.run_id}" + (f" --store {store}" if store != ".pipe" else ""))


def print_runs(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, default=str))
        return
    table = Table(title="runs")
    for col in ("run", "recipe", "status", "items", "model", "endpoint", "started (UTC)"):
        table.add_column(col)
    for r in rows:
        started = datetime.fromtimestamp(r["created_at"], timezone.utc).strftime("%Y-%m-%d %H:%M")
        table.add_row(r["run_id"], r["recipe_name"], r["status"], str(r["items_total"]),
                      r["model"], r["endpoint"], started)
    console.print(table)


def print_show(report: dict[str, Any]) -> None:
    run = report["run"]
    console.print(f"[bold]{run['run_id']}[/] {run['recipe_name']} — {run['status']} "
                  f"(model {run['model']} @ {run['endpoint']})  params {run['params']}")
    table = Table(title="per node")
    for col in ("node", "calls", "cache hits", "errors", "prompt tok", "cached tok",
                "output tok", "mean latency", "$"):
        table.add_column(col, justify="right" if col != "node" else "left", no_wrap=col == "node")
    for r in report["nodes"]:
        table.add_row(r["node"], str(r["calls"]), str(r["cache_hits"]), str(r["errors"]),
                      str(r["prompt_tokens"]), str(r["cached_tokens"]), str(r["completion_tokens"]),
                      f"{r['latency_s']:.2f}s", _usd(r["usd"], r["unknown_cost"]))
    console.print(table)
    console.print(f"total {_usd(report['total_usd'], report['unknown_cost_calls'])}")
    if report.get("steps"):
        console.print(_steps_table(report["steps"]))
    items = Table(title="items")
    items.add_column("item")
    items.add_column("status")
    items.add_column("outputs / error", overflow="fold")
    for item in report["items"]:
        body = item["error"] if item["status"] != ItemStatus.OK else json.dumps(item["outputs"], default=str)
        items.add_row(item["item_id"], item["status"], (body or "")[:400])
    console.print(items)


def _steps_table(steps: list[dict[str, Any]]) -> Table:
    table = Table(title="per step (score nodes; means over items)")
    for col in ("step", "items", "mean acc", "majority acc", "pass@N", "mean out tok",
                "median out tok"):
        table.add_column(col, justify="right")
    fmt = lambda v: "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)
    for r in steps:
        table.add_row(*(fmt(r[k]) for k in ("step", "items", "mean_acc", "majority_acc",
                                             "pass_at_n", "mean_tokens", "median_tokens")))
    return table


def print_estimate(est: dict[str, Any]) -> None:
    """The table of `pipelines.estimate`'s worst case, per llm node."""
    table = Table(title=f"estimate for {est['name']} over {est['items']} items (worst case)")
    for col in ("node", "calls", "prompt tok", "max output tok", "$"):
        table.add_column(col, no_wrap=col == "node")
    for r in est["nodes"]:
        table.add_row(r["node"], str(r["calls"]), str(r["prompt_tokens"]),
                      str(r["max_output_tokens"]), _usd(r["usd"]))
    console.print(table)
    console.print(f"total at most {_usd(est['total_usd'])}")
