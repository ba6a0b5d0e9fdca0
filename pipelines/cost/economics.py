"""MoE serving economics: cost = $/GPU-hour / tokens per hour.

The time a decode step and a prompt token take comes from `physics.py` (memory, compute and
communication at achieved fractions of datasheet peaks, overlapped; the busiest GPU under
routing imbalance; multi-token prediction; data- or tensor-parallel attention). This module
turns those times into tokens/s and $ per 1M tokens, sizes batches within memory, and scales
everything by a calibration measured on a live server.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

from pipelines.cost.physics import (StepTimes, decode_step, distinct_experts,
                                    kv_sequences_per_gpu, prefill_seconds_per_token,
                                    weight_bytes_held)
from pipelines.cost.profiles import GpuProfile, MeasuredProfile, Profile
from pipelines.errors import InputError

M = 1e6

__all__ = ["Economics", "batch_for_tps_user", "distinct_experts", "economics_at", "explain",
           "max_batch_in_memory", "step_times"]


@dataclass(frozen=True)
class Economics:
    """What a deployment delivers and costs at one operating point."""

    batch_per_gpu: float
    context_len: float
    tokens_per_s_per_gpu: float
    tokens_per_s_per_user: float
    usd_per_m_output: float
    usd_per_m_input_miss: float
    usd_per_m_input_hit: float
    t_mem_s: float | None
    t_compute_s: float | None
    t_comm_s: float | None
    t_step_s: float = 0.0
    """Seconds per decode step (memory, compute and communication overlapped)."""
    t_gpu_s: float | None = None
    """GPU busy time per step: per phase the slower of memory and compute."""
    experts_read_per_gpu: float | None = None
    """Expected experts read per MoE layer per step on the busiest GPU."""
    memory_gb_per_gpu: float | None = None
    """Weights held plus KV cache of the batch."""
    fits_memory: bool | None = None
    usd_per_m_output_all_in: float | None = None
    """$ per 1M output tokens with their prompts (workload mix: prompt tokens per output,
    prefix hit rate) priced in."""
    usd_per_request: float | None = None
    """$ for one average request of the workload (prompt_len prompt tokens at the hit rate,
    prompt_len / prompt_tokens_per_output output tokens)."""
    calibration_factor: float | None = None
    """Measured / modelled decode throughput when the profile is calibrated (times are scaled
    by it)."""
    prefill_calibration_factor: float | None = None
    """Measured / modelled prefill throughput (the uncached input rate is divided by it)."""

    def as_dict(self) -> dict[str, float | bool | None]:
        return asdict(self)


def step_times(p: GpuProfile, batch: float, context: float) -> StepTimes:
    """One decode step's times (see physics.decode_step)."""
    return decode_step(p, batch, context)


def _usd_per_gpu_second(p: GpuProfile) -> float:
    return p.hardware.usd_per_gpu_hour / 3600.0 / p.hardware.utilisation


DRAM_USD_PER_GB_HOUR = 0.0036
"""AWS us-east-1 on demand: r7i.large ($0.1323/h, 16 GiB) - c7i.large ($0.08925/h, 4 GiB)."""
SSD_USD_PER_GB_HOUR = 0.08 / 730
"""AWS EBS gp3: $0.08 per GB-month."""
DRAM_LOAD_GB_S = 50.0
"""PCIe Gen5 x16 host to GPU: 64 GB/s nominal, about 50 achieved."""
SSD_LOAD_GB_S = 40 * 2**30 / 1e9 / 8
"""3FS: KV-cache lookups peak at 40 GiB/s per client node (one 400 Gb/s NIC, 8 GPUs)."""


def cache_tier(p: GpuProfile) -> tuple[float, float]:
    """(load GB/s per GPU, $ per GB-hour) of the profile's prefix-cache tier."""
    c, hw = p.cache, p.hardware
    load, price = {
        "hbm": (hw.hbm_bandwidth_tb_s * 1e3 * hw.hbm_efficiency, 0.0),
        "dram": (DRAM_LOAD_GB_S, DRAM_USD_PER_GB_HOUR),
        "ssd": (SSD_LOAD_GB_S, SSD_USD_PER_GB_HOUR)}[c.tier]
    load = p.deployment.cache_tier_gb_s or c.load_gb_s or load
    return load, price if c.usd_per_gb_hour is None else c.usd_per_gb_hour


def hit_costs(p: GpuProfile) -> tuple[float, float]:
    """($/1M hit tokens for loading their KV, $/1M hit tokens for storing it). Each uncached
    prompt token is stored once for `retention_hours` and serves h / (1 - h) hits (h: the
    workload's prefix hit rate), so a hit carries (1 - h) / h of one token's storage."""
    load_gb_s, usd_gb_h = cache_tier(p)
    kv_gb = p.model.kv_bytes_per_token / 1e9
    transfer = kv_gb / load_gb_s * _usd_per_gpu_second(p) * M
    h = p.workload.prefix_hit_rate
    stored = kv_gb * usd_gb_h * p.cache.retention_hours * M
    return transfer, (stored * (1 - h) / h if h > 0 else 0.0)


def input_rates(p: GpuProfile) -> tuple[float, float]:
    """($/1M uncached input, $/1M cache-hit input). A miss is prefilled (physics.
    prefill_seconds_per_token); a hit loads its KV from the cache tier and pays its share of
    the storage (hit_costs)."""
    prompt = p.workload.prompt_len or p.workload.context_len
    seconds_miss = prefill_seconds_per_token(p, prompt)
    return seconds_miss * _usd_per_gpu_second(p) * M, sum(hit_costs(p))


def usd_per_request(p: GpuProfile, output: float, miss: float, hit: float) -> float | None:
    """$ for one average request: `prompt_len` (default context_len) prompt tokens at the
    workload's hit rate, and prompt_len / prompt_tokens_per_output output tokens."""
    w = p.workload
    if w.prompt_tokens_per_output <= 0:
        return None
    prompt = w.prompt_len or w.context_len
    prompts = prompt * (w.prefix_hit_rate * hit + (1 - w.prefix_hit_rate) * miss)
    return (prompts + prompt / w.prompt_tokens_per_output * output) / M


def all_in_output_rate(p: GpuProfile, output: float, miss: float, hit: float) -> float:
    """$ per 1M output tokens including the prompt tokens that come with them."""
    w = p.workload
    return output + w.prompt_tokens_per_output * (
        w.prefix_hit_rate * hit + (1 - w.prefix_hit_rate) * miss)


def memory_gb(p: GpuProfile, batch: float, context: float) -> float:
    kv = kv_sequences_per_gpu(p, batch) * context * p.model.kv_bytes_per_token
    return (weight_bytes_held(p) + kv) / 1e9


def _modelled(p: GpuProfile, batch: float, context: float) -> Economics:
    st = step_times(p, batch, context)
    tps_user = st.tokens_per_step / st.t_step
    tps_gpu = batch * tps_user
    usd_out = _usd_per_gpu_second(p) / tps_gpu * M
    miss, hit = input_rates(p)
    mem = memory_gb(p, batch, context)
    return Economics(
        batch_per_gpu=batch, context_len=context, tokens_per_s_per_gpu=tps_gpu,
        tokens_per_s_per_user=tps_user, usd_per_m_output=usd_out,
        usd_per_m_input_miss=miss, usd_per_m_input_hit=hit, t_mem_s=st.t_mem,
        t_compute_s=st.t_compute, t_comm_s=st.t_comm, t_step_s=st.t_step, t_gpu_s=st.t_gpu,
        experts_read_per_gpu=st.experts_read, memory_gb_per_gpu=mem,
        fits_memory=mem <= p.hardware.memory_gb,
        usd_per_m_output_all_in=all_in_output_rate(p, usd_out, miss, hit),
        usd_per_request=usd_per_request(p, usd_out, miss, hit))


def calibration_factors(p: GpuProfile) -> tuple[float, float] | None:
    """(decode, prefill) measured / modelled throughput of a calibrated profile, None if it is
    not. With m_d, m_p the modelled seconds per output and per uncached prompt token and O, P
    the measured tokens/s per GPU:
        decode node       decode O * m_d; prefill 1
        prefill node      prefill P * m_p; decode 1
        aggregated        saturated (requests waiting): both O*m_d + P*m_p (the modelled busy
                          fraction of a GPU that was fully busy); else decode O*m_d / (1 - P*m_p)
                          (decode had the time prefill left) and prefill 1 (not measurable)."""
    cal = p.calibration
    if cal is None or p.deployment.batch_per_gpu is None:
        return None
    m = _modelled(p, p.deployment.batch_per_gpu, p.workload.context_len)
    decode = cal.output_tokens_per_s_per_gpu / m.tokens_per_s_per_gpu
    prompt = cal.prompt_tokens_per_s_per_gpu
    prefill = (prompt or 0.0) * m.usd_per_m_input_miss / (_usd_per_gpu_second(p) * M)
    if cal.role == "decode" or prompt is None:
        return decode, 1.0
    if cal.role == "prefill":
        if prefill <= 0:
            raise InputError(f"{p.name}: a prefill calibration measured no uncached prompt "
                             f"tokens; fix: scrape the prefill servers under load")
        return 1.0, prefill
    if (cal.waiting_requests or 0) > 0:
        return decode + prefill, decode + prefill
    return (decode / (1 - prefill) if prefill < 1 else decode), 1.0


def _scaled(p: GpuProfile, e: Economics, factor: float, prefill: float) -> Economics:
    """Measured throughput `factor` (decode) and `prefill` times the model's: every time term
    shrinks by its factor, and the all-in and per-request prices follow."""
    out, miss = e.usd_per_m_output / factor, e.usd_per_m_input_miss / prefill
    hit = e.usd_per_m_input_hit
    return replace(
        e, tokens_per_s_per_gpu=e.tokens_per_s_per_gpu * factor,
        tokens_per_s_per_user=e.tokens_per_s_per_user * factor,
        usd_per_m_output=out, usd_per_m_input_miss=miss, t_mem_s=e.t_mem_s / factor,
        t_compute_s=e.t_compute_s / factor, t_comm_s=e.t_comm_s / factor,
        t_step_s=e.t_step_s / factor, t_gpu_s=e.t_gpu_s / factor,
        usd_per_m_output_all_in=all_in_output_rate(p, out, miss, hit),
        usd_per_request=usd_per_request(p, out, miss, hit),
        calibration_factor=factor, prefill_calibration_factor=prefill)


def economics_at(p: GpuProfile, batch: float, context: float | None = None) -> Economics:
    """The operating point at `batch` sequences per GPU (calibrated when the profile is)."""
    if batch <= 0:
        raise InputError(f"batch must be > 0, got {batch}")
    e = _modelled(p, batch, context or p.workload.context_len)
    factors = calibration_factors(p)
    return _scaled(p, e, *factors) if factors else e


def batch_for_tps_user(p: GpuProfile, target: float, context: float | None = None) -> float:
    """The largest whole batch per GPU whose tokens/s per user still meets `target` and whose
    KV caches fit in memory. Step time grows with batch, so tokens/s per user falls: bisect."""
    cap = max_batch_in_memory(p, context)
    if cap < 1:
        raise InputError(f"{p.name}: not even one sequence of {context or p.workload.context_len:g}"
                         f" tokens fits beside the weights in {p.hardware.memory_gb:g} GB; fix: "
                         f"more GPUs (deployment.gpus), a shorter context or a bigger GPU")
    at_one = economics_at(p, 1, context).tokens_per_s_per_user
    if at_one < target:
        raise InputError(f"{p.name}: {target:g} tokens/s per user is out of reach; "
                         f"batch 1 gives {at_one:.1f}", )
    if economics_at(p, cap, context).tokens_per_s_per_user >= target:
        return cap  # memory, not speed, limits the batch
    lo, hi = 1, int(cap)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if economics_at(p, mid, context).tokens_per_s_per_user >= target:
            lo = mid
        else:
            hi = mid
    return float(lo)


def max_batch_in_memory(p: GpuProfile, context: float | None = None) -> float:
    """The largest whole batch per GPU whose KV caches fit beside the weights (0: none fits)."""
    ctx = context or p.workload.context_len
    free_gb = p.hardware.memory_gb - memory_gb(p, 0, ctx)
    per_sequence_gb = memory_gb(p, 1, ctx) - memory_gb(p, 0, ctx)
    return float(max(0, math.floor(free_gb / per_sequence_gb + 1e-9)))


def interpolate_throughput(points: dict[float, float], batch: float) -> float:
    """Tokens/s at `batch` from measured (batch: tokens/s) points: linear between them,
    proportional below the smallest, flat above the largest (the server is saturated)."""
    xs = sorted(points)
    if batch <= xs[0]:
        return points[xs[0]] * batch / xs[0]
    if batch >= xs[-1]:
        return points[xs[-1]]
    lo = max(x for x in xs if x <= batch)
    hi = min(x for x in xs if x >= batch)
    if hi == lo:
        return points[lo]
    return points[lo] + (points[hi] - points[lo]) * (batch - lo) / (hi - lo)


def measured_factor(p: MeasuredProfile) -> float | None:
    """Calibrated / measured throughput at the calibration's batch (None if uncalibrated)."""
    cal = p.calibration
    if cal is None:
        return None
    at = interpolate_throughput(p.measured.decode_tokens_per_s, cal.running_requests)
    return cal.output_tokens_per_s_per_gpu / at


def measured_points(p: MeasuredProfile) -> dict[float, float]:
    """batch -> output tokens/s of the server, scaled by the calibration when there is one."""
    factor = measured_factor(p) or 1.0
    return {b: v * factor for b, v in sorted(p.measured.decode_tokens_per_s.items())}


def measured_standard_batch(p: MeasuredProfile, tps_user: float | None = None) -> float:
    """The largest measured batch giving each user at least `tps_user` (the profile's own
    target by default) output tokens/s. A calibrated server too slow for the target is priced
    at its smallest batch (the fastest it serves a user); an uncalibrated profile whose target
    no measurement meets is an error in the profile."""
    target = tps_user or p.tps_per_user
    points = measured_points(p)
    meeting = [b for b, v in points.items() if v / b >= target]
    if not meeting and p.calibration is not None:
        return min(points)
    if not meeting:
        smallest = min(points)
        raise InputError(f"{p.name}: no measured batch gives {target:g} output tokens/s per user "
                         f"(batch {smallest:g} gives {points[smallest] / smallest:.1f}); fix: "
                         f"lower `tps_per_user` or measure a smaller batch")
    return max(meeting)


def _measured(p: MeasuredProfile, batch: float) -> Economics:
    """A measured server at one of its measured batches: 'per GPU' means the whole server;
    no time split is modelled."""
    ms, hw = p.measured, p.hardware
    points = measured_points(p)
    if batch not in points:
        raise InputError(f"{p.name} is a measured profile: batch {batch:g} was not measured; "
                         f"fix: use one of {', '.join(f'{b:g}' for b in points)}")
    tps = points[batch]
    usd_per_s = hw.usd_per_cpu_hour * hw.cpus / 3600.0 / hw.utilisation
    return Economics(
        batch_per_gpu=batch, context_len=0.0, tokens_per_s_per_gpu=tps, t_step_s=batch / tps,
        tokens_per_s_per_user=tps / batch, usd_per_m_output=usd_per_s / tps * M,
        usd_per_m_input_miss=usd_per_s / ms.prefill_tokens_per_s * M,
        usd_per_m_input_hit=usd_per_s / ms.cache_hit_tokens_per_s * M,
        t_mem_s=None, t_compute_s=None, t_comm_s=None, calibration_factor=measured_factor(p))


def explain(p: Profile, *, batch: float | None = None, tps_user: float | None = None,
            context: float | None = None) -> Economics:
    """The profile's operating point: its own batch rule unless `batch` or `tps_user` is given."""
    if isinstance(p, MeasuredProfile):
        if context:
            raise InputError(f"{p.name} is a measured profile: its figures hold at the measured "
                             f"prompts; --context needs a GPU profile")
        if batch is not None and tps_user is not None:
            raise InputError("give --batch or --tps-user, not both")
        return _measured(p, batch or measured_standard_batch(p, tps_user))
    if batch is not None and tps_user is not None:
        raise InputError("give --batch or --tps-user, not both")
    if batch is None:
        target = tps_user or p.deployment.tps_per_user
        batch = p.deployment.batch_per_gpu if target is None else batch_for_tps_user(
            p, target, context)
    return economics_at(p, batch, context)
