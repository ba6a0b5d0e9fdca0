"""First-principles MoE serving economics: cost = $/GPU-hour / tokens per hour.

One decode step on one GPU of an expert-parallel group of G GPUs, each decoding b sequences
whose KV caches hold L tokens, takes (adding the terms fits published systems within ~12%;
assuming perfect overlap is 1.6-2.3x optimistic):

    t_mem     = (dense weights + touched experts' weights + b*L*kv_bytes) / HBM bandwidth
    t_compute = 2*active_params*b / FLOP/s  +  attention over L / BF16 FLOP/s
    t_comm    = moe_layers*b*k*hidden*(dispatch+combine bytes) / NVLink or scale-out bandwidth

The experts touched per layer across the group are E*(1-(1-k/E)^(b*G)), split over G GPUs:
past a few hundred tokens per step every expert is read and weight reads stop growing, which
is why the cost per token falls with batch until KV reads, compute and communication dominate.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

from pipelines.cost.profiles import GpuProfile, MeasuredProfile, Profile
from pipelines.errors import InputError

M = 1e6


def distinct_experts(experts: int, top_k: int, tokens: float) -> float:
    """Expected distinct experts hit when `tokens` tokens each pick `top_k` of `experts`."""
    return experts * (1.0 - (1.0 - top_k / experts) ** tokens)


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
    experts_read_per_gpu: float | None = None
    """Expected experts read per MoE layer per step on one GPU."""
    memory_gb_per_gpu: float | None = None
    """Weights held plus KV cache of the batch."""
    fits_memory: bool | None = None
    calibration_factor: float | None = None
    """Measured / modelled throughput when the profile is calibrated (times are scaled by it)."""

    @property
    def t_step_s(self) -> float:
        return self.batch_per_gpu / self.tokens_per_s_per_gpu

    def as_dict(self) -> dict[str, float | bool | None]:
        return {**asdict(self), "t_step_s": self.t_step_s}


def _linear_flops(p: GpuProfile) -> float:
    """FP8 weights run at the FP8 rate, wider ones at BF16."""
    tflops = p.hardware.fp8_tflops if p.model.bytes_per_param <= 1 else p.hardware.bf16_tflops
    return tflops * 1e12


def _attn_flops_per_token(p: GpuProfile, context: float) -> float:
    m = p.model
    return 2.0 * m.attn_heads * m.attn_dim_per_head * context * m.layers


def _dense_params(p: GpuProfile) -> float:
    """Parameters every token reads on every GPU: attention, dense layers, shared experts."""
    m = p.model
    return m.active_params - m.top_k * m.moe_layers * m.expert_params


def step_times(p: GpuProfile, batch: float, context: float) -> tuple[float, float, float, float]:
    """(t_mem, t_compute, t_comm, experts read per layer per GPU) for one decode step."""
    m, hw, g = p.model, p.hardware, p.deployment.gpus
    experts_per_gpu = distinct_experts(m.routed_experts, m.top_k, batch * g) / g
    weights = (_dense_params(p) + m.moe_layers * experts_per_gpu * m.expert_params)
    bytes_read = weights * m.bytes_per_param + batch * context * m.kv_bytes_per_token
    t_mem = bytes_read / (hw.hbm_bandwidth_tb_s * 1e12)
    t_compute = (2.0 * m.active_params * batch / _linear_flops(p)
                 + batch * _attn_flops_per_token(p, context) / (hw.bf16_tflops * 1e12))
    off_gpu = 1.0 - 1.0 / g
    scale_out = max(0.0, 1.0 - hw.gpus_per_node / g)
    scale_up = off_gpu - scale_out
    sent = m.moe_layers * batch * m.top_k * m.hidden * (
        p.deployment.dispatch_bytes + p.deployment.combine_bytes)
    t_comm = sent * (scale_up / (hw.scale_up_gb_s * 1e9) + scale_out / (hw.scale_out_gb_s * 1e9))
    return t_mem, t_compute, t_comm, experts_per_gpu


def _usd_per_gpu_second(p: GpuProfile) -> float:
    return p.hardware.usd_per_gpu_hour / 3600.0 / p.hardware.utilisation


def input_rates(p: GpuProfile, context: float) -> tuple[float, float]:
    """($/1M uncached input, $/1M cache-hit input).

    Prefill is compute-bound: each uncached token costs its linear FLOPs plus attention over
    half the context on average, at `prefill_mfu` of peak. A cache hit costs loading its KV
    from the cache tier."""
    d, hw = p.deployment, p.hardware
    seconds_miss = (2.0 * p.model.active_params / (_linear_flops(p) * d.prefill_mfu)
                    + _attn_flops_per_token(p, context / 2) / (hw.bf16_tflops * 1e12 * d.prefill_mfu))
    tier_gb_s = d.cache_tier_gb_s or hw.scale_out_gb_s
    seconds_hit = p.model.kv_bytes_per_token / (tier_gb_s * 1e9)
    rate = _usd_per_gpu_second(p) * M
    return seconds_miss * rate, seconds_hit * rate


def memory_gb(p: GpuProfile, batch: float, context: float) -> float:
    m, g = p.model, p.deployment.gpus
    held = _dense_params(p) + m.routed_experts / g * m.moe_layers * m.expert_params
    return (held * m.bytes_per_param + batch * context * m.kv_bytes_per_token) / 1e9


def _modelled(p: GpuProfile, batch: float, context: float) -> Economics:
    t_mem, t_compute, t_comm, experts = step_times(p, batch, context)
    t_step = t_mem + t_compute + t_comm
    tps_gpu = batch / t_step
    miss, hit = input_rates(p, context)
    mem = memory_gb(p, batch, context)
    return Economics(
        batch_per_gpu=batch, context_len=context, tokens_per_s_per_gpu=tps_gpu,
        tokens_per_s_per_user=1.0 / t_step, usd_per_m_output=_usd_per_gpu_second(p) / tps_gpu * M,
        usd_per_m_input_miss=miss, usd_per_m_input_hit=hit, t_mem_s=t_mem,
        t_compute_s=t_compute, t_comm_s=t_comm, experts_read_per_gpu=experts,
        memory_gb_per_gpu=mem, fits_memory=mem <= p.hardware.memory_gb)


def _calibration_factor(p: GpuProfile) -> float | None:
    cal = p.calibration
    if cal is None or p.deployment.batch_per_gpu is None:
        return None
    modelled = _modelled(p, p.deployment.batch_per_gpu, p.workload.context_len)
    return cal.output_tokens_per_s_per_gpu / modelled.tokens_per_s_per_gpu


def _scaled(e: Economics, factor: float) -> Economics:
    """Measured throughput `factor` times the model's: every time term shrinks by it."""
    return replace(
        e, tokens_per_s_per_gpu=e.tokens_per_s_per_gpu * factor,
        tokens_per_s_per_user=e.tokens_per_s_per_user * factor,
        usd_per_m_output=e.usd_per_m_output / factor, t_mem_s=e.t_mem_s / factor,
        t_compute_s=e.t_compute_s / factor, t_comm_s=e.t_comm_s / factor,
        calibration_factor=factor)


def economics_at(p: GpuProfile, batch: float, context: float | None = None) -> Economics:
    """The operating point at `batch` sequences per GPU (calibrated when the profile is)."""
    if batch <= 0:
        raise InputError(f"batch must be > 0, got {batch}")
    e = _modelled(p, batch, context or p.workload.context_len)
    factor = _calibration_factor(p)
    return _scaled(e, factor) if factor else e


def batch_for_tps_user(p: GpuProfile, target: float, context: float | None = None) -> float:
    """The largest whole batch per GPU whose tokens/s per user still meets `target`.

    Step time grows with batch, so tokens/s per user falls: bisect on it."""
    at_one = economics_at(p, 1, context).tokens_per_s_per_user
    if at_one < target:
        raise InputError(f"{p.name}: {target:g} tokens/s per user is out of reach; "
                         f"batch 1 gives {at_one:.1f}", )
    lo, hi = 1, 2
    while economics_at(p, hi, context).tokens_per_s_per_user >= target:
        lo, hi = hi, hi * 2
        if hi > 1 << 20:
            return float(lo)
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
    per_sequence_gb = ctx * p.model.kv_bytes_per_token / 1e9
    return float(max(0, math.floor(free_gb / per_sequence_gb)))


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
        batch_per_gpu=batch, context_len=0.0, tokens_per_s_per_gpu=tps,
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
