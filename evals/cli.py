"""`pipe eval`: run an eval suite (or resume one, or diff two reports).

Registered by `evals` as the `eval` entry of `pipe.commands` (pyproject.toml); the `pipe` group
loads it only when `pipe eval` is named.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from evals.report import compare_reports
from evals.runner import run_suite, suite_folder
from pipelines import InputError, PipeError, RunOptions, RunStatus
from pipelines.cli import fail


def _report_folder(store: str, name: str) -> Path:
    """A report folder given as a path, or as a suite run id inside the store."""
    path = Path(name)
    if (path / "report.csv").is_file():
        return path
    return suite_folder(store, name)


@click.command("eval")
@click.argument("suite", required=False, type=click.Path(dir_okay=False))
@click.option("--max-cost", type=float, help="Budget in USD for the whole suite (exit 3 when reached).")
@click.option("--resume", metavar="SUITE_ID", help="Continue a suite run; finished cells are kept.")
@click.option("--compare", nargs=2, metavar="A B", help="Diff two suite reports (ids or folders).")
@click.option("--endpoint", help="`embedded` or a base URL for every run (overrides the suite).")
@click.option("--model", help="Model name for every run (overrides the suite).")
@click.option("--concurrency", type=int, help="Max calls in flight to the endpoint.")
@click.option("--store", default=".pipe", show_default=True, help="Run store folder.")
@click.option("--plain", is_flag=True, help="Line-by-line progress (CI, pipes).")
def eval_command(suite, max_cost, resume, compare, endpoint, model, concurrency, store,
                 plain) -> None:
    """Run SUITE: every recipe x grid point x dataset, then write a report (Markdown, CSV,
    plots) under STORE/evals/SUITE_ID/. Everything is validated before anything is spent."""
    try:
        if compare:
            a, b = (_report_folder(store, name) for name in compare)
            click.echo(compare_reports(a, b), nl=False)
            return
        if suite is None and resume is None:
            raise InputError("give a SUITE file, --resume SUITE_ID, or --compare A B")
        options = RunOptions(store=store, max_cost=max_cost, endpoint=endpoint, model=model,
                             concurrency=concurrency,
                             display="plain" if plain or not sys.stderr.isatty() else "rich")
        done = run_suite(suite, options, resume=resume,
                         on_cell=lambda cell, i, n, run_id: click.echo(
                             f"[{i + 1}/{n}] {cell.key}: run {run_id}", err=True))
    except PipeError as exc:
        fail(exc)
    click.echo((done.folder / "report.md").read_text())
    click.echo(f"suite {done.suite_id}: {done.status}; report in {done.folder}"
               + (f" (resume: pipe eval --resume {done.suite_id})"
                  if done.status == RunStatus.BUDGET else ""))
    sys.exit(done.exit_code)
