"""Rendering of API results for the terminal (tables that fit) and for scripts (JSON)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import IO, Any

from rich.console import Console

import pipelines
from pipelines import Accuracy, ItemStatus, format_usd
from pipelines.cli.tables import Col, print_table

console = Console()

ITEMS_SHOWN = 50
"""Items listed after a run (all of them: `pipe show` / `pipe export`)."""


def _accuracy_text(acc: dict[str, Any] | None) -> str:
    return str(Accuracy(acc["correct"], acc["total"])) if acc else "-"


def _mark(correct: int | bool | None) -> str:
    return "-" if correct is None else "✓" if correct else "✗"


def _print_items(title: str, items: list[dict[str, Any]]) -> None:
    rows = []
    for item in items:
        body = (item["error"] if item["status"] != ItemStatus.OK
                else json.dumps(item["outputs"], default=str)) or ""
        rows.append((item["item_id"], item["status"], _mark(item.get("correct")), body[:400]))
    cols = (Col("item"), Col("status"), Col("ok?"), Col("outputs / error", shrink=1, least=20,
                                                         wrap=True))
    print_table(console, title, cols, rows)


def run_summary(result: pipelines.RunResult) -> dict[str, Any]:
    """What `pipe run --json` prints (without the items)."""
    s = result.stats
    counts = {status: sum(1 for i in result.items if i["status"] == status) for status in ItemStatus}
    return {"run_id": result.run_id, "status": result.status, "exit_code": result.exit_code,
            "items_ok": counts[ItemStatus.OK], "items_failed": counts[ItemStatus.FAILED],
            "items_budget": counts[ItemStatus.BUDGET],
            "calls": s.calls if s else 0, "cache_hits": s.cache_hits if s else 0,
            "resumed_calls": s.resumed if s else 0, "usd": s.usd if s else 0.0,
            "unpriced_calls": s.usd_unknown if s else 0,
            "accuracy": result.accuracy.as_dict() if result.accuracy else None}


def print_run_result(result: pipelines.RunResult, *, as_json: bool, store: str) -> None:
    summary = run_summary(result)
    if as_json:
        print(json.dumps({**summary, "items": list(result.items)}, default=str))
        return
    more = len(result.items) - ITEMS_SHOWN
    _print_items(f"run {result.run_id}: {result.status}", result.items[:ITEMS_SHOWN])
    if more > 0:
        console.print(f"... and {more} more items")
    store_arg = f" --store {store}" if store != ".pipe" else ""
    console.print(f"items    {summary['items_ok']} ok, {summary['items_failed']} failed, "
                  f"{summary['items_budget']} stopped by budget")
    console.print(f"calls    {summary['calls']} (cache hits {summary['cache_hits']}, resumed "
                  f"{summary['resumed_calls']}), "
                  f"{format_usd(summary['usd'], summary['unpriced_calls'])}")
    if result.accuracy:
        console.print(f"accuracy {result.accuracy}")
    console.print(f"details  pipe show {result.run_id}{store_arg}", soft_wrap=True)
    console.print(f"export   pipe export {result.run_id}{store_arg}", soft_wrap=True)


RUN_COLS = (Col("run"), Col("status"), Col("items", right=True), Col("acc", right=True),
            Col("$", right=True), Col("started"), Col("recipe", shrink=2, least=8),
            Col("model", shrink=1, least=0))


def print_runs(rows: list[dict[str, Any]], as_json: bool, more: bool = False) -> None:
    """The runs table; `more`: older runs were left out (by --limit)."""
    if as_json:
        print(json.dumps(rows, default=str))
        return
    if not rows:
        console.print("no runs (start one with `pipe run RECIPE`)")
        return
    cells = []
    for r in rows:
        acc = r.get("accuracy")
        started = _when(r["created_at"])
        cells.append((r["run_id"], r["status"], f"{r['items_ok']}/{r['items_total']}",
                      "-" if not acc else f"{acc['accuracy']:.1%}",
                      format_usd(r["usd"], r["unpriced_calls"]).replace(" unpriced", "?"),
                      started, r["recipe_name"], r["model"]))
    print_table(console, "runs (started UTC)", RUN_COLS, cells)
    if more:
        console.print(f"newest {len(rows)} shown; older ones: --limit N or --all")


def _when(timestamp: float) -> str:
    """`14:17` today (UTC), `12-02 14:17` this year, else `2025-12-02`: short, like `ls -l`."""
    at, now = (datetime.fromtimestamp(t, timezone.utc) for t in (timestamp, time.time()))
    if at.date() == now.date():
        return at.strftime("%H:%M")
    return at.strftime("%m-%d %H:%M" if at.year == now.year else "%Y-%m-%d")


NODE_COLS = (Col("node", shrink=2, least=12), Col("calls", right=True), Col("hits", right=True),
             Col("err", right=True), Col("in tok", right=True),
             Col("cached", right=True, shrink=1, least=0),  # first to go (in --json)
             Col("out tok", right=True), Col("lat", right=True), Col("$", right=True))


def print_show(report: dict[str, Any]) -> None:
    run = report["run"]
    console.print(f"[bold]{run['run_id']}[/] {run['recipe_name']}: {run['status']} "
                  f"(model {run['model']} @ {run['endpoint']})", soft_wrap=True)
    console.print("params " + ", ".join(f"{k}={v}" for k, v in run["params"].items()))
    rows = [(r["node"], str(r["calls"]), str(r["cache_hits"]), str(r["errors"]),
             str(r["prompt_tokens"]), str(r["cached_tokens"]), str(r["completion_tokens"]),
             f"{r['latency_s']:.2f}s", format_usd(r["usd"], r["unknown_cost"]))
            for r in report["nodes"]]
    print_table(console, "per node", NODE_COLS, rows)
    console.print(f"total {format_usd(report['total_usd'], report['unknown_cost_calls'])}")
    if run.get("accuracy"):
        console.print(f"accuracy {_accuracy_text(run['accuracy'])}")
    if report.get("steps"):
        _print_steps(report["steps"])
    if report.get("stops"):  # stop_when: later steps skipped, not failed
        stops = report["stops"]
        console.print(f"stopped early: {stops['items']} items (after step " + ", ".join(
            f"{s}: {n}" for s, n in stops["after_step"].items()) + ")")
        console.print(f"  later steps skipped ({stops['skipped_nodes']} node runs), not failed")
    items = report["items"]
    more = len(items) - ITEMS_SHOWN
    _print_items("items", items[:ITEMS_SHOWN])
    if more > 0:
        console.print(f"... and {more} more items: pipe export {run['run_id']}", soft_wrap=True)


def print_show_json(report: dict[str, Any], stream: IO[str]) -> None:
    """`report` as indented JSON, its `items` written one at a time as they are read from the
    store (never a list of them all), so a million-item run prints in bounded memory."""
    stream.write("{")
    for n, (key, value) in enumerate(report.items()):
        stream.write(("," if n else "") + f"\n  {json.dumps(key)}: ")
        if key != "items":
            stream.write(json.dumps(value, indent=2, default=str).replace("\n", "\n  "))
            continue
        stream.write("[")
        wrote = False
        for item in value:
            text = json.dumps(item, indent=2, default=str).replace("\n", "\n    ")
            stream.write(("," if wrote else "") + "\n    " + text)
            wrote = True
        stream.write("\n  ]" if wrote else "]")
    stream.write("\n}\n")


STEP_COLS = (Col("step", right=True), Col("items", right=True), Col("mean acc", right=True),
             Col("majority acc", right=True), Col("pass@N", right=True),
             Col("mean out tok", right=True), Col("median out tok", right=True))


def _print_steps(steps: list[dict[str, Any]]) -> None:
    fmt = lambda v: "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)
    rows = [tuple(fmt(r[k]) for k in ("step", "items", "mean_acc", "majority_acc", "pass_at_n",
                                      "mean_tokens", "median_tokens")) for r in steps]
    print_table(console, "per step (score nodes; means over items)", STEP_COLS, rows)


ESTIMATE_COLS = (Col("node", shrink=1, least=12), Col("calls", right=True),
                 Col("requests", right=True), Col("prompt tok", right=True), Col("max output tok", right=True),
                 Col("$", right=True))


def print_estimate(est: dict[str, Any], as_json: bool = False) -> None:
    """`pipelines.estimate`'s worst case per llm node: a table, or its JSON with `--json`."""
    if as_json:
        print(json.dumps(est, default=str))
        return
    rows = [(r["node"], *(("unbounded", "-", "-", "-") if r["calls"] is None else
                          (str(r["calls"]), str(r.get("requests", r["calls"])),
                           str(r["prompt_tokens"]), str(r["max_output_tokens"]))),
             format_usd(r["usd"])) for r in est["nodes"]]
    print_table(console, f"estimate for {est['name']} over {est['items']} items (worst case)",
                ESTIMATE_COLS, rows)
    unbounded = est.get("unbounded") or []
    console.print("total unbounded: python node(s) " + ", ".join(unbounded) + " may call "
                  "ctx.chat without limit; declare calls, max_tokens and max_prompt_tokens "
                  "on them" if unbounded else f"total at most {format_usd(est['total_usd'])}")
    for note in est.get("notes") or []:
        console.print(f"note: {note}")
