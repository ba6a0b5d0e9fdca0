"""`pipe cost ...`: explain, sweep, sensitivity, validate, bill and calibrate (a click group the main CLI adds)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Callable

import click

from pipelines.cost.bill import format_bill, itemise, read_calls
from pipelines.cost.calibrate import calibrate as run_calibration
from pipelines.cost.derive import Tiers, profile_source, profile_tiers
from pipelines.cost.economics import Economics, explain as explain_profile
from pipelines.cost.profiles import GpuProfile, Profile, load_profile
from pipelines.cost.sensitivity import format_sensitivity, sensitivity as run_sensitivity
from pipelines.cost.sweep import DEFAULT_BATCHES, format_sweep, plot_sweep, sweep as run_sweep
from pipelines.cost.validate import format_validation, validate as run_validation
from pipelines.errors import InputError, PipeError


def _exits_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Print a PipeError as one message and exit with its code (2 for bad input)."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PipeError as exc:
            click.echo(f"error: {exc}", err=True)
            raise SystemExit(exc.exit_code) from None
    return wrapper


@click.group("cost")
def cost() -> None:
    """Cost model: price sheets, deployment profiles, run bills."""


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _tier_rows(t: Tiers) -> list[tuple[str, str]]:
    """The bulk tier next to the standard one, and when it is sold."""
    b = t.bulk
    saving = 1 - b.usd_per_m_output / t.standard.usd_per_m_output
    return [("bulk: batch per GPU", f"{b.batch_per_gpu:g} (the largest that fits)"),
            ("bulk: tokens/s per GPU", f"{b.tokens_per_s_per_gpu:,.1f}"),
            ("bulk: $/1M output", f"${b.usd_per_m_output:.4f} ({saving:.0%} below standard)"),
            ("bulk is sold", f"off-peak {t.off_peak.label}, and to batch calls")]


def _explain_table(p: Profile, e: Economics, tiers: Tiers | None = None) -> str:
    rows = [("profile", f"{p.name} v{p.version}"), ("price source", profile_source(p))]
    if isinstance(p, GpuProfile):
        hw = p.hardware
        rows.append(("hardware", f"{hw.gpu or 'GPU'} x{p.deployment.gpus}, "
                     f"${hw.usd_per_gpu_hour:g}/GPU-h, utilisation {hw.utilisation:.0%}"))
    rows += [("batch per GPU", f"{e.batch_per_gpu:g}"),
             ("tokens/s per GPU", f"{e.tokens_per_s_per_gpu:,.1f}"),
             ("tokens/s per user", f"{e.tokens_per_s_per_user:,.2f}"),
             ("$/1M output", f"${e.usd_per_m_output:.4f}"),
             ("$/1M input, cache miss", f"${e.usd_per_m_input_miss:.4f}"),
             ("$/1M input, cache hit", f"${e.usd_per_m_input_hit:.6f}")]
    if e.usd_per_m_output_all_in is not None:
        rows.append(("$/1M output, all in", f"${e.usd_per_m_output_all_in:.4f} (with its prompt "
                     "tokens)"))
    if e.usd_per_request is not None and isinstance(p, GpuProfile):
        w = p.workload
        prompt = w.prompt_len or w.context_len
        rows.append(("$ per request", f"${e.usd_per_request:.6f} ({prompt:,.0f} prompt, "
                     f"{prompt / w.prompt_tokens_per_output:,.0f} output tokens)"))
    if e.t_mem_s is not None:
        step = e.t_step_s
        rows += [("context (KV tokens)", f"{e.context_len:,.0f}"),
                 ("step time", f"{step * 1e3:.2f} ms (GPU and communication overlapped)"),
                 ("  GPU busy", f"{e.t_gpu_s * 1e3:.2f} ms ({_pct(e.t_gpu_s, step)})"),
                 ("  memory", f"{e.t_mem_s * 1e3:.2f} ms ({_pct(e.t_mem_s, step)})"),
                 ("  compute", f"{e.t_compute_s * 1e3:.2f} ms ({_pct(e.t_compute_s, step)})"),
                 ("  communication", f"{e.t_comm_s * 1e3:.2f} ms ({_pct(e.t_comm_s, step)})"),
                 ("experts/layer, busiest", f"{e.experts_read_per_gpu:.2f}"),
                 ("memory per GPU", f"{e.memory_gb_per_gpu:.1f} GB"
                  + ("" if e.fits_memory else "  (DOES NOT FIT: lower the batch or context)"))]
    if e.calibration_factor is not None:
        rows.append(("calibration", f"measured / modelled throughput = {e.calibration_factor:.3f}"))
    if e.prefill_calibration_factor not in (None, 1.0):
        rows.append(("  prefill", f"measured / modelled = {e.prefill_calibration_factor:.3f}"))
    if tiers is not None:
        rows += _tier_rows(tiers)
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


@cost.command()
@click.argument("profile", type=click.Path(dir_okay=False))
@click.option("--batch", type=float, help="Sequences per GPU (overrides the profile).")
@click.option("--tps-user", type=float, help="Target tokens/s per user: pick the batch.")
@click.option("--context", type=float, help="Average KV length, tokens (overrides the profile).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@_exits_cleanly
def explain(profile: str, batch: float | None, tps_user: float | None, context: float | None,
            fmt: str) -> None:
    """Throughput, $/1M tokens and the step-time split of a deployment profile."""
    p = load_profile(profile)
    e = explain_profile(p, batch=batch, tps_user=tps_user, context=context)
    tiers = profile_tiers(p) if batch is None and tps_user is None and context is None else None
    if fmt == "json":
        extra = {} if tiers is None else {
            "bulk": tiers.bulk.as_dict(),
            "off_peak": {"start": f"{tiers.off_peak.start:%H:%M}",
                         "end": f"{tiers.off_peak.end:%H:%M}"}}
        click.echo(json.dumps({"profile": p.name, "price_source": profile_source(p),
                               **e.as_dict(), **extra}, indent=2))
    else:
        click.echo(_explain_table(p, e, tiers))


def _batches(text: str | None) -> tuple[float, ...]:
    if not text:
        return DEFAULT_BATCHES
    try:
        values = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise click.BadParameter(f"expected numbers separated by commas, got {text!r}") from None
    if any(v <= 0 for v in values):
        raise click.BadParameter("batch sizes must be > 0")
    return values


@cost.command()
@click.argument("profile", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), help="Write the plot here (PNG).")
@click.option("--batches", help="Comma-separated batch sizes (default 1,2,4,...,1024).")
@click.option("--context", type=float, help="Average KV length, tokens.")
@_exits_cleanly
def sweep(profile: str, out: str | None, batches: str | None, context: float | None) -> None:
    """$/1M output and tokens/s per user against batch size: a table and a plot."""
    p = load_profile(profile)
    points = run_sweep(p, _batches(batches), context)
    click.echo(format_sweep(points))
    if out:
        click.echo(f"plot written to {plot_sweep(p, points, out)}")


@cost.command()
@click.argument("profile", type=click.Path(dir_okay=False))
@_exits_cleanly
def sensitivity(profile: str) -> None:
    """How much +10% on each achieved efficiency moves throughput and $/1M tokens."""
    p = load_profile(profile)
    if not isinstance(p, GpuProfile):
        raise InputError(f"{p.name} is a measured profile: it has no efficiencies to vary; "
                         f"fix: give a GPU profile")
    click.echo(format_sensitivity(run_sensitivity(p)))


@cost.command()
@click.option("--published", type=click.Path(dir_okay=False),
              help="Published points (default: recipes/cost/published.yaml).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--check", is_flag=True, help="Exit 1 if a fit or held-out point is outside the "
              "tolerance.")
@_exits_cleanly
def validate(published: str | None, fmt: str, check: bool) -> None:
    """The model beside published deployments: throughput per GPU and $ per 1M tokens."""
    data, rows = run_validation(Path(published) if published else None)
    if fmt == "json":
        click.echo(json.dumps({"tolerance": data.tolerance,
                               "points": [r.as_dict() for r in rows]}, indent=2))
    else:
        click.echo(format_validation(data, rows))
    if check and any(r.role != "average" and not r.within(data.tolerance) for r in rows):
        raise SystemExit(1)


@cost.command()
@click.argument("run")
@click.option("--store", default=".pipe", show_default=True, type=click.Path(file_okay=False),
              help="Run store folder (holds runs.sqlite).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@_exits_cleanly
def bill(run: str, store: str, fmt: str) -> None:
    """Itemise a run's cost by node, model and tier."""
    run_id, rows = read_calls(store, run)
    b = itemise(rows, run_id)
    click.echo(json.dumps(b.as_dict(), indent=2) if fmt == "json" else format_bill(b))


@cost.command()
@click.option("--metrics", "sources", multiple=True, required=True,
              help="One node's Prometheus /metrics URL (scraped 11 times across --window) or "
                   "saved scrape(s) FIRST.prom,LAST.prom; repeat per node. Two plain files "
                   "are two scrapes of one server.")
@click.option("--profile", required=True, type=click.Path(dir_okay=False),
              help="The deployment profile the server runs.")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Where to write the calibrated profile (default: NAME-calibrated.yaml).")
@click.option("--window", type=float, help="Seconds a URL is scraped across (default 10).")
@click.option("--role", type=click.Choice(["both", "decode", "prefill"]), default="both",
              show_default=True, help="What the servers run: both phases, or one side of a "
              "prefill/decode-disaggregated deployment.")
@_exits_cleanly
def calibrate(sources: tuple[str, ...], profile: str, out: str | None,
              window: float | None, role: str) -> None:
    """Write a profile whose batch, hit rate and throughput come from a server's metrics."""
    out = out or f"{Path(profile).stem}-calibrated.yaml"
    p, m = run_calibration(profile, list(sources), out, window, role)
    hit = "not reported" if m.prefix_hit_rate is None else f"{m.prefix_hit_rate:.1%}"
    click.echo(f"measured: {m.running:g} running requests, {m.output_tokens_per_s:,.1f} output "
               f"tok/s,\n  prefix-cache hit rate {hit} ({m.method})")
    extras = [f"{label} {fmt.format(v)}" for label, fmt, v in (
        ("nodes", "{:d}", m.nodes), ("KV cache used", "{:.0%}", m.kv_cache_usage),
        ("waiting requests", "{:g}", m.waiting), ("mean TTFT", "{:.3f} s", m.ttft_s),
        ("cached prompt tokens", "{:,.0f}", m.cached_tokens),
        ("uncached prompt tok/s", "{:,.1f}", m.uncached_prompt_tokens_per_s)) if v is not None]
    click.echo("  " + ", ".join(extras))
    click.echo(f"wrote {out}\n")
    click.echo(_explain_table(p, explain_profile(p), profile_tiers(p)))
