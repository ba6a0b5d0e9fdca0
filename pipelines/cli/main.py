"""`pipe` command line: a thin shell over the public API in `pipelines`."""

from __future__ import annotations

import sys

import click

import pipelines
from pipelines import InputError, PipeError, RunOptions, RunStatus, parse_overrides
from pipelines.cli.errors import fail
from pipelines.cli.export import export
from pipelines.cli.render import (print_estimate, print_run_result, print_runs, print_show,
                                  print_show_json)
from pipelines.plugins import COMMANDS


class Pipe(click.Group):
    """The `pipe` group: its own commands plus every `pipe.commands` entry point, loaded when
    named (so `pipe run` never imports the eval or serving code)."""

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx, name):
        if name in COMMANDS:
            return COMMANDS.get(name)
        return super().get_command(ctx, name)


@click.group(cls=Pipe)
@click.version_option(package_name="pipe-llm")
def main() -> None:
    """Run declarative YAML pipelines of LLM calls, metered in dollars."""


params_option = click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
                             help="Override a recipe param (typed against the recipe).")
pricing_option = click.option(
    "--pricing", metavar="SHEET_OR_PROFILE",
    help="Price sheet or deployment profile (YAML path or shipped name, e.g. embedded-cpu) for "
         "models the recipe's `pricing:` does not price.")


@main.command()
@click.argument("recipe", type=click.Path(dir_okay=False))
@params_option
@pricing_option
@click.option("--endpoint", help="`embedded` or a base URL (overrides the recipe), as in `run`.")
@click.option("--model", help="Model name (overrides the recipe), as in `run`.")
def validate(recipe: str, params: tuple[str, ...], pricing: str | None, endpoint: str | None,
             model: str | None) -> None:
    """Check a recipe completely without calling any model."""
    try:
        plan = pipelines.validate(recipe, parse_overrides(list(params)), pricing=pricing,
                                  endpoint=endpoint, model=model)
    except PipeError as exc:
        fail(exc)
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"ok: {plan.name}: {len(plan.nodes)} nodes after unrolling; params "
               + ", ".join(f"{k}={v!r}" for k, v in plan.params.items()))


@main.command()
@click.argument("recipe", type=click.Path(dir_okay=False))
@params_option
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid")
def graph(recipe: str, params: tuple[str, ...], fmt: str) -> None:
    """Print the unrolled DAG as Mermaid or Graphviz DOT text."""
    try:
        click.echo(pipelines.graph(recipe, parse_overrides(list(params)), fmt), nl=False)
    except PipeError as exc:
        fail(exc)


@main.command()
@click.argument("recipe", required=False, type=click.Path(dir_okay=False))
@params_option
@click.option("--endpoint", help="`embedded` or a base URL (overrides the recipe).")
@click.option("--model", help="Model name (overrides the recipe).")
@click.option("--max-cost", type=float, help="Stop scheduling calls at this many USD (exit 3).")
@click.option("--allow-unpriced", is_flag=True,
              help="With --max-cost: run a model with no known price (its calls count $0).")
@click.option("--resume", "resume", metavar="RUN_ID", help="Continue a run; completed calls are reused.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the response cache.")
@click.option("--offline", is_flag=True, help="Answer only from the response cache.")
@click.option("--estimate", is_flag=True, help="Print the worst-case cost and exit; spends nothing.")
@click.option("--concurrency", type=int, help="Max calls in flight to the endpoint.")
@click.option("--store", default=".pipe", show_default=True, help="Run store folder.")
@click.option("--plain", is_flag=True, help="Line-by-line progress (CI, pipes).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@pricing_option
def run(recipe, params, endpoint, model, max_cost, resume, no_cache, offline, estimate,
        concurrency, store, plain, as_json, pricing, allow_unpriced=False) -> None:
    """Run RECIPE over its dataset (or --resume RUN_ID)."""
    if recipe is None and resume is None:
        fail(InputError("give a RECIPE path or --resume RUN_ID"))
    try:
        overrides = parse_overrides(list(params))
        display = "none" if as_json else "plain" if plain or not sys.stderr.isatty() else "rich"
        options = RunOptions(endpoint=endpoint, model=model, store=store, resume=resume,
                             max_cost=max_cost, allow_unpriced=allow_unpriced,
                             cache=not no_cache, offline=offline,
                             display=display, concurrency=concurrency, pricing=pricing)
        if estimate:
            print_estimate(pipelines.estimate(recipe, overrides, options), as_json)
            return
        result = pipelines.run(recipe, overrides, options)
    except PipeError as exc:
        fail(exc)
    except KeyboardInterrupt:  # the run is stored as interrupted; say how to go on
        click.echo("\ninterrupted: completed calls are kept; continue with "
                   "`pipe run --resume RUN_ID` (the id is in `pipe runs --status interrupted`)",
                   err=True)
        sys.exit(130)
    print_run_result(result, as_json=as_json, store=store)
    sys.exit(result.exit_code)


@main.command()
@click.option("--store", default=".pipe", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="Newest N runs.")
@click.option("--all", "show_all", is_flag=True, help="Every run (no --limit).")
@click.option("--recipe", help="Only runs of this recipe (its name, as listed).")
@click.option("--status", type=click.Choice([s.value for s in RunStatus]),
              help="Only runs in this status (`interrupted`: its process died).")
def runs(store: str, as_json: bool, limit: int, show_all: bool, recipe: str | None,
         status: str | None) -> None:
    """List runs in the run store, newest first: status, items, accuracy, $."""
    rows = pipelines.runs(store, recipe=recipe, status=status,
                          limit=None if show_all else limit + 1)  # one more: are there more?
    more = not show_all and len(rows) > limit
    print_runs(rows[:limit] if more else rows, as_json, more=more)


@main.command()
@click.argument("run_id")
@click.option("--store", default=".pipe", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def show(run_id: str, store: str, as_json: bool) -> None:
    """Per-node calls, tokens, cache hits, errors, latency and $; item outputs."""
    try:
        report = pipelines.show(run_id, store)
    except PipeError as exc:
        fail(exc)
    if as_json:
        print_show_json(report, sys.stdout)
        return
    print_show(report)


main.add_command(export)
