"""`pipe eval`: run an eval suite (or resume one, or diff two reports or two runs).

Registered by `evals` as the `eval` entry of `pipe.commands` (pyproject.toml); the `pipe` group
loads it only when `pipe eval` is named.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from evals.compare import compare_reports, compare_runs
from evals.runner import run_suite, suite_folder
from pipelines import InputError, PipeError, RunOptions, RunStatus
from pipelines.cli import fail
from pipelines.storage import RunStore


def _compare(store: str, name_a: str, name_b: str) -> str:
    """Two suite reports (folders or suite ids), or two runs (run ids), compared."""
    runs = RunStore(store)
    try:
        found = [runs.run(name) if runs.exists() else None for name in (name_a, name_b)]
    finally:
        runs.close()
    if all(found):
        return compare_runs(*found)
    if any(found):
        raise InputError(f"compare two suites or two runs, not one of each: {name_a} and "
                         f"{name_b} (fix: pass two suite ids, two report folders or two run ids)")
    return compare_reports(*(_report_folder(store, name) for name in (name_a, name_b)))


def _report_folder(store: str, name: str) -> Path:
    """A report folder given as a path, or as a suite run id inside the store."""
    path = Path(name)
    if path.is_dir():  # a folder: compare_reports says so if it holds no report
        return path
    return suite_folder(store, name)


@click.command("eval")
@click.argument("suite", required=False, type=click.Path(dir_okay=False))
@click.option("--max-cost", type=float, help="Budget in USD for the whole suite (exit 3 when reached).")
@click.option("--limit", type=click.IntRange(min=1), metavar="N",
              help="Run only the first N items of each dataset (a quick look; kept on --resume).")
@click.option("--resume", metavar="SUITE_ID", help="Continue a suite run; finished cells are kept.")
@click.option("--compare", nargs=2, metavar="A B",
              help="Diff two suite reports (ids or folders) or two runs (ids): settings that "
                   "differ, and B - A per cell with its 95% interval and significance.")
@click.option("--endpoint", help="`embedded` or a base URL for every run (overrides the suite).")
@click.option("--model", help="Model name for every run (overrides the suite).")
@click.option("--concurrency", type=int, help="Max calls in flight to the endpoint.")
@click.option("--store", default=".pipe", show_default=True, help="Run store folder.")
@click.option("--plain", is_flag=True, help="Line-by-line progress (CI, pipes).")
@click.option("--pricing", metavar="SHEET_OR_PROFILE",
              help="Price sheet or deployment profile (YAML path or shipped name) for models a "
                   "recipe's `pricing:` does not price.")
def eval_command(suite, max_cost, limit, resume, compare, endpoint, model, concurrency,
                 store, plain, pricing) -> None:
    """Run SUITE: every recipe x grid point x dataset, then write a report (Markdown, CSV,
    plots) under STORE/evals/SUITE_ID/. Everything is validated before anything is spent."""
    try:
        if compare:
            click.echo(_compare(store, *compare), nl=False)
            return
        if suite is None and resume is None:
            raise InputError("give a SUITE file, --resume SUITE_ID, or --compare A B")
        options = RunOptions(store=store, max_cost=max_cost, endpoint=endpoint, model=model,
                             concurrency=concurrency, pricing=pricing,
                             display="plain" if plain or not sys.stderr.isatty() else "rich")
        done = run_suite(suite, options, resume=resume, limit=limit,
                         echo=lambda line: click.echo(line, err=True))
    except PipeError as exc:
        fail(exc)
    click.echo((done.folder / "report.md").read_text())
    click.echo(f"suite {done.suite_id}: {done.status}; report in {done.folder}"
               + (f" (resume: pipe eval --resume {done.suite_id})"
                  if done.status == RunStatus.BUDGET else ""))
    sys.exit(done.exit_code)
