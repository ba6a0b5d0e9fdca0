"""`pipe export RUN_ID`: a run's results as JSON Lines or CSV, for data frames and spreadsheets.

JSONL keeps types (lists and mappings stay nested; `pandas.read_json(path, lines=True)`). CSV
is UTF-8 with one header row; nested values are written as JSON text, missing ones as empty
cells, booleans as True/False (`pandas.read_csv` reads them back as booleans). The header is
the fixed columns, then every output name in the order items first have it (found by one
query before the rows are written). Rows stream from the store a page at a time: a
million-item run exports in the memory of a few thousand rows.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import IO, Any, Iterable

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
    columns = rows.columns if fmt == "csv" else None  # one query over the store's outputs
    if out is None:
        _write(rows, columns, sys.stdout)
        return
    with open(out, "w", encoding="utf-8", newline="") as stream:
        count = _write(rows, columns, stream)
    click.echo(f"wrote {count} {'calls' if calls else 'items'} of {run_id} to {out}", err=True)


def _write(rows: Iterable[dict[str, Any]], csv_columns: list[str] | None, stream: IO[str]
           ) -> int:
    if csv_columns is not None:
        return write_csv(rows, stream, csv_columns)
    return write_jsonl(rows, stream)


def write_jsonl(rows: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    """One JSON object per line; returns the number of rows."""
    count = 0
    for count, row in enumerate(rows, 1):
        stream.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    return count


def write_csv(rows: Iterable[dict[str, Any]], stream: IO[str], columns: list[str]) -> int:
    """A header of `columns`, then a line per row; returns the number of rows."""
    writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    count = 0
    for count, row in enumerate(rows, 1):
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return count


def _cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else value
