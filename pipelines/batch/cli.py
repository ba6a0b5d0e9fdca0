"""`pipe batch`: submit, status, results, cancel, resume (a thin shell over pipelines.batch.jobs).

Registered as the `pipe.commands` entry point `batch`; also runs as `python -m pipelines.batch.cli`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click

from pipelines import PipeError, RunOptions, parse_overrides
from pipelines.batch import jobs
from pipelines.batch.savings import format_plan, format_report
from pipelines.batch.windows import SchedulePlan
from pipelines.cli import fail
from pipelines.clock import parse_utc

store_option = click.option("--store", default=".pipe", show_default=True,
                            help="Folder holding batch.sqlite.")


def _deadline(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_utc(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group()
def batch() -> None:
    """Bulk jobs at near cost price: off-peak windows, deadlines, Batch APIs."""


@batch.command()
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--endpoint", help="`embedded` or a base URL (default: $OPENAI_BASE_URL or embedded).")
@click.option("--window", type=click.Choice(["off-peak"]),
              help="Run only inside the price sheet's off-peak windows.")
@click.option("--deadline", callback=_deadline, metavar="TIME",
              help="Finish by this UTC time (2026-12-01T08:00Z), in the cheapest windows.")
@click.option("--now", "now", is_flag=True, help="Run at once (the default without a window).")
@click.option("--max-cost", type=float, metavar="USD", help="Stop sending before passing this bill.")
@click.option("--allow-unpriced", is_flag=True,
              help="With --max-cost: accept models with no known price (counted as $0).")
@click.option("--strict", is_flag=True, help="Refuse the whole file if any line is bad.")
@click.option("--api", "api_kind", type=click.Choice(jobs.APIS), default="auto", show_default=True,
              help="concurrent requests, the endpoint's Batch API, or whichever it has.")
@click.option("--pricing", metavar="SHEET_OR_PROFILE",
              help="Price sheet or deployment profile, a YAML path or a shipped name "
                   "(default: looked up by model id).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Recipe param (when SOURCE is a recipe).")
@click.option("--model", help="Model name (when SOURCE is a recipe).")
@click.option("--concurrency", type=int, help="Requests in flight at once.")
@click.option("--throughput", type=float, metavar="TOK_S",
              help="Expected tokens/s of the endpoint, for window planning.")
@click.option("--detach", is_flag=True, help="Run in a background process; watch with status.")
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
def submit(source, endpoint, window, deadline, now, max_cost, strict, api_kind, pricing, params,
           model, concurrency, throughput, detach, store, as_json, allow_unpriced=False) -> None:
    """Submit SOURCE (an OpenAI Batch JSONL file, or a recipe over its dataset) and run it."""
    try:
        options = RunOptions(store=store, endpoint=endpoint, max_cost=max_cost, model=model,
                             concurrency=concurrency, allow_unpriced=allow_unpriced)
        submitted = jobs.submit(source, parse_overrides(list(params)) or None, options,
                                window=window, deadline=deadline, now=now, strict=strict,
                                api=api_kind, pricing=pricing, throughput_tok_s=throughput,
                                run=False, notify=_note)
    except PipeError as exc:
        fail(exc)
    for r in submitted.rejected[:20]:
        click.echo(f"warning: {r.located(source)}; skipped into the error file", err=True)
    if len(submitted.rejected) > 20:
        click.echo(f"warning: ... {len(submitted.rejected) - 20} more bad lines skipped", err=True)
    if detach:
        log = _spawn_resume(submitted.job_id, store)
        _emit(as_json, {"job_id": submitted.job_id, "detached": True, "log": str(log)},
              f"{submitted.job_id}: running in the background (log {log}); "
              f"watch with `pipe batch status {submitted.job_id}`")
        return
    if not as_json:
        click.echo(_plan_note(submitted.job_id, submitted.plan), err=True)
    try:  # run it here (the job is stored: a kill or Ctrl-C leaves it resumable)
        outcome = jobs.resume(submitted.job_id, options)
    except PipeError as exc:
        fail(exc)
    _emit(as_json, {"job_id": outcome.job_id, "state": outcome.state, "counts": outcome.counts},
          f"{outcome.job_id}: {outcome.state} {_counts(outcome.counts)}")
    sys.exit(outcome.exit_code)


def _plan_note(job_id: str, plan: SchedulePlan) -> str:
    """The plan, and where the job waits for its first window, before running it here."""
    note = format_plan(plan)
    first = plan.windows[0].start if plan.windows else plan.created_at
    wait_s = (first - plan.created_at).total_seconds()
    if wait_s > 60:
        hours, minutes = divmod(round(wait_s / 60), 60)
        note += (f"\n{job_id}: waiting {hours} h {minutes:02d} min for the first window"
                 f"\n  ({first:%Y-%m-%d %H:%M} UTC). Ctrl-C is safe: `pipe batch resume JOB` "
                 f"continues it;\n  --detach waits in the background.")
    return note


def _note(text: str) -> None:
    """One line on stderr before the job runs: why `--api auto` fell back."""
    click.echo(f"note: --api auto: {text}", err=True)


def _spawn_resume(job_id: str, store: str) -> Path:
    log = Path(store) / "batch-logs" / f"{job_id}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        subprocess.Popen([sys.executable, "-m", "pipelines.batch.cli", "resume", job_id,
                          "--store", store], stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    return log


def _counts(c: dict[str, int]) -> str:
    return (f"({c.get('done', 0)} done, {c.get('failed', 0)} failed, {c.get('pending', 0)} "
            f"pending, {c.get('rejected', 0)} rejected)")


def _emit(as_json: bool, data, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)


@batch.command()
@click.argument("job", required=False)
@store_option
@click.option("--json", "as_json", is_flag=True)
def status(job, store, as_json) -> None:
    """Jobs with id, state, counts, tier and $ (one JOB: with its plan)."""
    try:
        found = jobs.status(job, store=store)
    except PipeError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps(found if job is None else found[0], indent=2, default=str))
        return
    if not found:
        click.echo("no batch jobs")
    for s in found:
        tiers = ", ".join(f"{t} {v['requests']}" for t, v in sorted(s["tiers"].items())) or "-"
        click.echo(f"{s['job_id']}  {s['state']:<11} {s['counts']['done']}/{s['total']} done "
                   f"{_counts(s['counts'])}  tiers: {tiers}  ${s['spent_usd']:.6f}  [{s['api']}]")
        if job is not None:
            if s["note"]:
                click.echo(f"  {s['note']}")
            if s["measured_tok_s"]:
                click.echo(f"  measured throughput {s['measured_tok_s']:,.0f} tok/s")
            click.echo(format_plan(SchedulePlan.from_dict(s["plan"])))


@batch.command()
@click.argument("job")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Output JSONL; errors go to OUT's stem + .errors.jsonl unless --errors.")
@click.option("--errors", type=click.Path(dir_okay=False), help="Error JSONL path.")
@store_option
@click.option("--json", "as_json", is_flag=True)
def results(job, out, errors, store, as_json) -> None:
    """Write JOB's OpenAI Batch output and error files and print its cost report."""
    try:
        written = jobs.results(job, out, errors=errors, store=store)
    except PipeError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps(written, indent=2, default=str))
        return
    click.echo(f"{written['output_lines']} lines -> {written['output']}; "
               f"{written['error_lines']} lines -> {written['errors']} (job {written['state']})")
    click.echo(format_report(written["report"]))


@batch.command()
@click.argument("job")
@store_option
def cancel(job, store) -> None:
    """Stop JOB: no new requests are sent; those in flight finish and are kept."""
    try:
        click.echo(f"{job}: {jobs.cancel(job, store=store)}")
    except PipeError as exc:
        fail(exc)


@batch.command()
@click.argument("job")
@click.option("--max-cost", type=float, metavar="USD", help="A new budget for the whole job.")
@store_option
def resume(job, max_cost, store) -> None:
    """Finish JOB after a crash, kill or budget stop; nothing recorded is sent again."""
    try:
        outcome = jobs.resume(job, options=RunOptions(store=store, max_cost=max_cost))
    except PipeError as exc:
        fail(exc)
    click.echo(f"{outcome.job_id}: {outcome.state} {_counts(outcome.counts)}")
    sys.exit(outcome.exit_code)


if __name__ == "__main__":
    batch()
