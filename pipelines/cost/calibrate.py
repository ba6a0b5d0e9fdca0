"""Calibrate a deployment profile from a vLLM, SGLang or `pipe serve` server's Prometheus metrics.

A GPU profile's scrape is taken to cover its `deployment.gpus` GPUs; a measured (CPU) profile's
the whole server. From it come:
- batch per GPU: running requests / GPUs;
- output throughput: generation-token counter delta between two scrapes, else SGLang's
  `gen_throughput` gauge, else running requests / mean time per output token;
- prefix-cache hit rate: hits / queries counters (vLLM V1: `vllm:prefix_cache_*` or the older
  `vllm:gpu_prefix_cache_*`), else the hit-rate gauge, which SGLang reports once per scheduler
  rank: averaged, weighted by each rank's prompt tokens (never summed);
- prompt tokens per output token: prompt / generation token counters;
- uncached prompt tokens per second: (prompt - cached) counter deltas over the window, which
  calibrate prefill (`--role prefill` for the prefill servers of a disaggregated deployment;
  an aggregated server's time is split between the phases: `economics.calibration_factors`);
- recorded, not priced: KV-cache usage, waiting requests, mean time to first token, cached
  prompt tokens.
Each `--metrics` source is one node (a URL is scraped across `--window`; `a.prom,b.prom` are
two scrapes of one node); the nodes' figures are combined: requests, throughput and tokens add up, the hit rate
and time to first token are token- and request-weighted means, KV usage is the mean.
The written profile keeps every other figure and records the measurement in `calibration`.
A measured profile keeps its measured batches: each one's throughput is scaled by the measured /
interpolated throughput at the scraped batch (`economics.measured_factor`), so both its
standard and bulk tiers follow the server as it runs now.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from pipelines.cost.profiles import GpuProfile, Profile, profile_from_dict
from pipelines.cost.prometheus import Scrape, fetch, is_url
from pipelines.cost.yamlio import read_yaml
from pipelines.errors import InputError

RUNNING = ("vllm:num_requests_running", "sglang:num_running_reqs")
GENERATED = ("vllm:generation_tokens", "sglang:generation_tokens")
PROMPT = ("vllm:prompt_tokens", "sglang:prompt_tokens")
CACHE_QUERIES = ("vllm:prefix_cache_queries", "vllm:gpu_prefix_cache_queries")
CACHE_HITS = ("vllm:prefix_cache_hits", "vllm:gpu_prefix_cache_hits")
HIT_RATE_GAUGE = ("sglang:cache_hit_rate", "vllm:gpu_prefix_cache_hit_rate")
KV_USAGE = ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "sglang:token_usage")
WAITING = ("vllm:num_requests_waiting", "sglang:num_queue_reqs")
TTFT = ("vllm:time_to_first_token_seconds", "sglang:time_to_first_token_seconds")
CACHED = ("sglang:cached_tokens", "vllm:prefix_cache_hits", "vllm:gpu_prefix_cache_hits")
TPOT = ("vllm:time_per_output_token_seconds", "vllm:inter_token_latency_seconds",
        "sglang:time_per_output_token_seconds", "sglang:inter_token_latency_seconds")


@dataclass(frozen=True)
class Measurement:
    running: float
    output_tokens_per_s: float
    method: str
    prefix_hit_rate: float | None
    prompt_tokens_per_output: float | None
    kv_cache_usage: float | None = None
    waiting: float | None = None
    ttft_s: float | None = None
    cached_tokens: float | None = None
    prompt_tokens: float | None = None
    """Prompt tokens in the measured interval (weights the nodes' hit rates)."""
    nodes: int = 1
    uncached_prompt_tokens_per_s: float | None = None
    """Prompt tokens prefilled per second (prompt - cached counter deltas over the window)."""


def _delta(first: Scrape, last: Scrape, names: tuple[str, ...]) -> float | None:
    a, b = first.total(*names), last.total(*names)
    return None if a is None or b is None else b - a


def _prefill_rate(scrapes: list[Scrape], window: float | None) -> float | None:
    """Uncached prompt tokens per second between the first and last scrape."""
    if len(scrapes) < 2 or not window or window <= 0:
        return None
    prompt = _delta(scrapes[0], scrapes[-1], PROMPT)
    if prompt is None:
        return None
    cached = _delta(scrapes[0], scrapes[-1], CACHED) or 0.0
    return max(0.0, prompt - cached) / window


def _throughput(scrapes: list[Scrape], window: float | None, running: float,
                prefill_only: bool = False) -> tuple[float, str]:
    first, last = scrapes[0], scrapes[-1]
    if prefill_only:  # a prefill server generates one token per request: not its throughput
        return 0.0, "prefill server: uncached prompt-token counter delta"
    gen = _delta(first, last, GENERATED) if len(scrapes) > 1 else None
    if gen is not None and window and window > 0 and gen > 0:
        return gen / window, f"generation-token counter delta over {window:g}s"
    gauge = last.total("sglang:gen_throughput")
    if gauge:
        return gauge, "sglang:gen_throughput gauge"
    for name in TPOT:
        total, count = last.total(f"{name}_sum"), last.total(f"{name}_count")
        if total and count:
            return running * count / total, f"running requests / mean {name}"
    raise InputError(f"{last.source}: cannot measure output throughput: give two scrapes "
                     f"(a URL is scraped across --window) or a scrape with "
                     f"sglang:gen_throughput or a time-per-output-token histogram")


def _ratio(num: float | None, den: float | None) -> float | None:
    return num / den if num is not None and den else None


def _counter_ratio(scrapes: list[Scrape], num: tuple[str, ...],
                   den: tuple[str, ...]) -> float | None:
    """num/den over the interval between two scrapes, else since the server started."""
    first, last = scrapes[0], scrapes[-1]
    if len(scrapes) > 1:
        ratio = _ratio(_delta(first, last, num), _delta(first, last, den))
        if ratio is not None:
            return ratio
    return _ratio(last.total(*num), last.total(*den))


def _hit_rate(scrapes: list[Scrape]) -> float | None:
    rate = _counter_ratio(scrapes, CACHE_HITS, CACHE_QUERIES)
    if rate is None:  # one gauge per rank: the prompt-token-weighted mean
        rate = scrapes[-1].mean(HIT_RATE_GAUGE, PROMPT)
        rate = rate / 100.0 if rate is not None and rate > 1 else rate  # some report percent
    return rate


def _ttft(scrapes: list[Scrape]) -> float | None:
    """Mean time to first token over the interval (since start with one scrape)."""
    for name in TTFT:
        rate = _counter_ratio(scrapes, (f"{name}_sum",), (f"{name}_count",))
        if rate is not None:
            return rate
    return None


def _span(scrapes: list[Scrape], names: tuple[str, ...]) -> float | None:
    """A counter's growth over the interval, else its value since the server started."""
    delta = _delta(scrapes[0], scrapes[-1], names) if len(scrapes) > 1 else None
    return delta if delta is not None else scrapes[-1].total(*names)


def measure(scrapes: list[Scrape], window: float | None = None,
            role: str = "both") -> Measurement:
    """Figures from scrapes of the same server, the first and last `window` seconds apart
    (taken from the scrapes' own timestamps when they have them); the running-requests gauge is
    the mean over all of them. A prefill server (`role` prefill) needs the prompt counters in
    two scrapes, not running requests."""
    stamps = (scrapes[0].taken_at, scrapes[-1].taken_at)
    if len(scrapes) > 1 and None not in stamps:  # live scrapes: the clock, not the nominal gap
        window = stamps[1] - stamps[0]
    runs = [s.total(*RUNNING) for s in scrapes]
    if None in runs:
        raise InputError(f"{scrapes[0].source}: no running-requests gauge "
                         f"({' or '.join(RUNNING)}): is this a vLLM or SGLang scrape?")
    running = sum(runs) / len(runs)
    prefill = _prefill_rate(scrapes, window)
    if role == "prefill" and not prefill:
        raise InputError(f"{scrapes[-1].source}: no uncached prompt tokens were prefilled "
                         f"between two scrapes; fix: scrape a prefill server under load, "
                         f"twice (a URL, or FIRST.prom,LAST.prom)")
    if running <= 0 and role != "prefill":
        raise InputError(f"{scrapes[-1].source}: no requests were running when scraped; "
                         f"scrape while the server is under its usual load")
    tps, method = _throughput(scrapes, window, running, prefill_only=role == "prefill")
    last = scrapes[-1]
    return Measurement(running, tps, method, _hit_rate(scrapes),
                       _counter_ratio(scrapes, PROMPT, GENERATED),
                       kv_cache_usage=last.mean(KV_USAGE), waiting=last.total(*WAITING),
                       ttft_s=_ttft(scrapes), cached_tokens=_span(scrapes, CACHED),
                       prompt_tokens=_span(scrapes, PROMPT), uncached_prompt_tokens_per_s=prefill)


def _weighted(values: list[float | None], weights: list[float | None]) -> float | None:
    pairs = [(v, w) for v, w in zip(values, weights) if v is not None]
    if not pairs:
        return None
    if all(w for _, w in pairs):
        return sum(v * w for v, w in pairs) / sum(w for _, w in pairs)
    return sum(v for v, _ in pairs) / len(pairs)


def _added(values: list[float | None]) -> float | None:
    return None if None in values else sum(values)


def combine(nodes: list[Measurement]) -> Measurement:
    """One cluster from its nodes' measurements."""
    if len(nodes) == 1:
        return nodes[0]
    prompt = [m.prompt_tokens for m in nodes]
    out = [m.output_tokens_per_s for m in nodes]
    ratio = _weighted([m.prompt_tokens_per_output for m in nodes], out)
    return Measurement(
        running=sum(m.running for m in nodes), output_tokens_per_s=sum(out),
        method=f"{len(nodes)} nodes: " + "; ".join(sorted({m.method for m in nodes})),
        prefix_hit_rate=_weighted([m.prefix_hit_rate for m in nodes], prompt),
        prompt_tokens_per_output=ratio,
        kv_cache_usage=_weighted([m.kv_cache_usage for m in nodes], [None] * len(nodes)),
        waiting=_added([m.waiting for m in nodes]),
        ttft_s=_weighted([m.ttft_s for m in nodes], prompt),
        cached_tokens=_added([m.cached_tokens for m in nodes]),
        prompt_tokens=_added(prompt), nodes=len(nodes),
        uncached_prompt_tokens_per_s=_added([m.uncached_prompt_tokens_per_s for m in nodes]))


SAMPLES_PER_WINDOW = 10
"""Live scrapes taken across a window: counters are read at its ends, while the running-requests
gauge is averaged over all of them (two instants of a gauge can both miss a busy server)."""


def scrape_node(source: str, window: float | None) -> list[Scrape]:
    """One node: a URL scraped across `window` (default 10) seconds; `a,b` two saved scrapes
    of it; a single file one scrape."""
    if is_url(source):
        span = window if window is not None else 10.0
        scrapes = [fetch(source)]
        start = time.monotonic()  # after the first scrape: the last is at least `span` later
        for k in range(1, SAMPLES_PER_WINDOW + 1):  # on a fixed schedule: fetches don't stretch it
            time.sleep(max(0.0, start + span * k / SAMPLES_PER_WINDOW - time.monotonic()))
            scrapes.append(fetch(source))
        return scrapes
    parts = [part for part in source.split(",") if part]
    if len(parts) > 2:
        raise InputError(f"{source}: give one or two scrapes of a node (FIRST.prom,LAST.prom)")
    return [fetch(part) for part in parts]


def scrape_all(sources: list[str], window: float | None) -> list[list[Scrape]]:
    """Scrapes per node. Each source is a node; two plain files (no URL, no comma) are the
    two scrapes of one server, as before."""
    if len(sources) == 2 and not any(is_url(s) or "," in s for s in sources):
        return [[fetch(s) for s in sources]]
    return [scrape_node(s, window) for s in sources]


def measure_nodes(groups: list[list[Scrape]], window: float | None = None,
                  role: str = "both") -> Measurement:
    return combine([measure(g, window, role) for g in groups])


def _calibration(m: Measurement, source: str, gpus: float, role: str = "both") -> dict[str, Any]:
    prefill = m.uncached_prompt_tokens_per_s
    return {"source": source,
            "measured_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "method": m.method, "running_requests": round(m.running, 3),
            "output_tokens_per_s_per_gpu": round(m.output_tokens_per_s / gpus, 3),
            **{k: round(v, 4) for k, v in (
                ("nodes", m.nodes), ("kv_cache_usage", m.kv_cache_usage),
                ("waiting_requests", m.waiting), ("ttft_s", m.ttft_s),
                ("cached_tokens", m.cached_tokens),
                ("prompt_tokens_per_s_per_gpu", None if prefill is None else prefill / gpus))
                if v is not None},
            **({"role": role} if role != "both" else {})}


def calibrated_measured(data: dict[str, Any], m: Measurement, source: str) -> dict[str, Any]:
    """A measured profile's mapping with the measurement (the server is one 'GPU')."""
    return {**data, "calibration": _calibration(m, source, 1)}


def calibrated_profile(data: dict[str, Any], m: Measurement, source: str,
                       role: str = "both") -> dict[str, Any]:
    """The GPU profile mapping with the measured batch, hit rate, mix and throughput (a
    prefill server's scrape keeps the profile's decode batch and mix)."""
    gpus = data["deployment"]["gpus"]
    if role == "prefill":
        return {**data, "calibration": _calibration(m, source, gpus, role)}
    deployment = {k: v for k, v in data["deployment"].items() if k != "tps_per_user"}
    workload = dict(data["workload"])
    if m.prefix_hit_rate is not None:
        workload["prefix_hit_rate"] = round(m.prefix_hit_rate, 4)
    if m.prompt_tokens_per_output is not None:
        workload["prompt_tokens_per_output"] = round(m.prompt_tokens_per_output, 3)
    return {**data,
            "deployment": {**deployment, "batch_per_gpu": round(m.running / gpus, 3)},
            "workload": workload, "calibration": _calibration(m, source, gpus, role)}


def calibrate(profile_path: str | Path, sources: list[str], out: str | Path,
              window: float | None = None, role: str = "both") -> tuple[Profile, Measurement]:
    """Measure, write the calibrated profile to `out`, and return it (validated)."""
    path = Path(profile_path)
    data, node = read_yaml(path)
    original = profile_from_dict(data, path, node)
    if role != "both" and not isinstance(original, GpuProfile):
        raise InputError(f"{path}: --role {role} needs a GPU profile (a measured profile's "
                         f"server runs both phases)")
    m = measure_nodes(scrape_all(sources, window), window, role)
    if isinstance(original, GpuProfile):
        new = calibrated_profile(data, m, " + ".join(sources), role)
    else:
        new = calibrated_measured(data, m, " + ".join(sources))
    profile = profile_from_dict(new, Path(out))
    header = (f"# Calibrated by `pipe cost calibrate` from {' + '.join(sources)}\n"
              f"# (base profile: {path}).\n")
    Path(out).write_text(header + yaml.safe_dump(new, sort_keys=False), encoding="utf-8")
    return profile, m
