"""`pipe export RUN_ID`: a run's results as JSON Lines or CSV, for data frames and spreadsheets.

JSONL keeps types (lists and mappings stay nested; `pandas.read_json(path, lines=True)`). CSV
is UTF-8 with one header row; nested values are written as JSON text, missing ones as empty
cells, booleans as True/False (`pandas.read_csv` reads them back as booleans).
"""

from __future__ import annotations

import csv
import json
import sys
from typing import IO, Any

import click

import pipelines
from pipelines import PipeError
from pipelines.cli.errors import fail


@click.command("export")
@click.argument("run_id")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)
@click.option("--calls", is_flag=True,
              help="One row per call (messages, response, tokens, $) instead of per item.")
@click.option("-o", "--out", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of stdout.")
@click.option("--store", default=".pipe", show_default=True, help="Run store folder.")
def export(run_id: str, fmt: str, calls: bool, out: str | None, store: str) -> None:
    """Write RUN_ID's items (gold, correct, outputs), or with --calls every call."""
    try:
        rows = pipelines.export(run_id, store, calls=calls)
    except PipeError as exc:
        fail(exc)
    write = write_csv if fmt == "csv" else write_jsonl
    if out is None:
        write(rows, sys.stdout)
        return
    with open(out, "w", encoding="utf-8", newline="") as stream:
        write(rows, stream)
    click.echo(f"wrote {len(rows)} {'calls' if calls else 'items'} of {run_id} to {out}",
               err=True)


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every key in first-seen order (items may have different outputs)."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def write_jsonl(rows: list[dict[str, Any]], stream: IO[str]) -> None:
    for row in rows:
        stream.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


def write_csv(rows: list[dict[str, Any]], stream: IO[str]) -> None:
    writer = csv.DictWriter(stream, fieldnames=_columns(rows), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})


def _cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else value
