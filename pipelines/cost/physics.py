"""Decode and prefill time of one GPU of an expert-parallel MoE deployment, from physics.

A decode step on one GPU runs b sequences, each verifying q = 1 + mtp_draft_tokens query
tokens (multi-token prediction), over KV caches of L tokens. Three phases, each bounded by the
slower of its memory traffic and its arithmetic (memory and compute overlap inside a kernel):

    dense     non-routed weights (attention projections, shared experts, dense layers)
    attention the KV cache read vs the attention FLOPs (MLA absorbed: 576 + 512 per head)
    experts   the busiest GPU's expert weights vs its expert FLOPs (routing imbalance)

Rates are datasheet peaks times achieved fractions (`Gpu.hbm_efficiency`, `linear_efficiency`,
`attention_efficiency`; sources in recipes/cost/gpus.yaml). The all-to-all (dispatch, combine)
and the tensor-parallel attention all-reduce run on NVLink / InfiniBand at their achieved
bandwidths. With two micro-batches (DeepSeek's practice) communication overlaps computation:

    t_step = max(t_gpu, t_comm) + min(t_gpu, t_comm) / (2 * moe_layers) + step_overhead
    (one micro-batch:  t_gpu + t_comm + step_overhead)

the middle term is the pipeline's fill: one layer of one micro-batch cannot be hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipelines.cost.profiles import GpuProfile


def distinct_experts(experts: int, top_k: int, tokens: float) -> float:
    """Expected distinct experts hit when `tokens` tokens each pick `top_k` of `experts`."""
    return experts * (1.0 - (1.0 - top_k / experts) ** tokens)


def expected_max_binomial(n: int, p: float, draws: int) -> float:
    """E[max of `draws` independent Binomial(n, p)] = sum_j (1 - F(j)^draws), exactly."""
    if draws <= 1 or p <= 0.0 or p >= 1.0:
        return n * min(max(p, 0.0), 1.0)
    total, cdf = 0.0, 0.0
    for j in range(n):
        cdf += math.comb(n, j) * p**j * (1 - p) ** (n - j)
        total += 1.0 - min(cdf, 1.0) ** draws
    return total


def busiest_experts_read(experts: int, top_k: int, tokens: float, gpus: int) -> float:
    """Expected experts read on the busiest of `gpus` GPUs holding experts/gpus each.

    Each expert is hit with p = 1 - (1 - k/E)^T; a GPU's count is taken as Binomial(E/G, p),
    independent across GPUs (the counts are in fact slightly negatively correlated; a Monte
    Carlo check at EP8 batch 1 gives 10.65 against this 10.64)."""
    per_gpu = max(1, round(experts / gpus))
    p = 1.0 - (1.0 - top_k / experts) ** tokens
    return expected_max_binomial(per_gpu, p, gpus)


def busiest_token_share(tokens: float, top_k: int, gpus: int, redundancy: float = 1.0) -> float:
    """Expert-token assignments on the busiest GPU / the average (>= 1).

    Each of T*k assignments lands on a GPU with probability 1/G; a GPU's count is ~normal with
    mean m = T*k/G and sd sqrt(m(1-1/G)); the expected maximum of G is ~ m + sd*sqrt(2 ln G).
    Redundant copies of hot experts (`redundancy` = expert slots / experts > 1) let the
    balancer move load off the busiest GPU: the excess is divided by it."""
    if gpus <= 1 or tokens <= 0:
        return 1.0
    mean = tokens * top_k / gpus
    excess = math.sqrt(mean * (1 - 1 / gpus)) * math.sqrt(2 * math.log(gpus)) / mean
    return 1.0 + excess / redundancy


@dataclass(frozen=True)
class StepTimes:
    t_mem: float
    """Seconds of HBM traffic (all phases) at the achieved bandwidth."""
    t_compute: float
    """Seconds of arithmetic (all phases) at the achieved FLOP/s."""
    t_gpu: float
    """Sum over phases of max(memory, compute): the GPU's busy time."""
    t_comm: float
    """All-to-all plus TP all-reduce seconds at the achieved link bandwidths."""
    t_step: float
    experts_read: float
    """Expected experts read per MoE layer per micro-batch on the busiest GPU."""
    tokens_per_step: float
    """Output tokens each sequence gains per step (1 + accepted draft tokens)."""


def _bw(p: GpuProfile) -> float:
    return p.hardware.hbm_bandwidth_tb_s * 1e12 * p.hardware.hbm_efficiency


def peak_linear(p: GpuProfile) -> float:
    """Datasheet FLOP/s of the weight GEMMs: FP8 weights at the FP8 rate, wider at BF16."""
    hw = p.hardware
    return (hw.fp8_tflops if p.model.bytes_per_param <= 1 else hw.bf16_tflops) * 1e12


def linear_flops(p: GpuProfile) -> float:
    return peak_linear(p) * p.hardware.linear_efficiency


def attention_flops(p: GpuProfile) -> float:
    return p.hardware.bf16_tflops * 1e12 * p.hardware.attention_efficiency


def dense_params(p: GpuProfile) -> float:
    """Parameters every token reads on every GPU: attention, dense layers, shared experts."""
    m = p.model
    return m.active_params - m.top_k * m.moe_layers * m.expert_params


def dense_params_held(p: GpuProfile) -> float:
    """Dense parameters one GPU holds: tensor-parallel attention splits the attention's."""
    tp = p.deployment.attention_tp
    return dense_params(p) - p.model.attn_params * (1 - 1 / tp)


def weight_bytes_held(p: GpuProfile) -> float:
    """Bytes of weights one GPU holds: dense at `bytes_per_param`, its expert slots at
    `expert_bytes_per_param`."""
    m = p.model
    experts = m.moe_layers * expert_slots_per_gpu(p) * m.expert_params
    return dense_params_held(p) * m.bytes_per_param + experts * m.expert_bytes_per_param


def expert_slots_per_gpu(p: GpuProfile) -> float:
    return (p.model.routed_experts + p.deployment.redundant_experts) / p.deployment.gpus


def redundancy(p: GpuProfile) -> float:
    return 1.0 + p.deployment.redundant_experts / p.model.routed_experts


def kv_sequences_per_gpu(p: GpuProfile, batch: float) -> float:
    """Sequences whose KV one GPU reads: TP attention serves tp*b sequences per TP group and
    MLA's latent KV cannot be split by heads, so every rank reads all of them (`kv_tp_split`
    ranks share it for GQA models)."""
    tp = p.deployment.attention_tp
    return batch * tp / min(tp, p.model.kv_tp_split)


def attn_flops_per_query(p: GpuProfile, context: float, width: float) -> float:
    m = p.model
    return 2.0 * m.attn_heads * width * context * m.layers


def _comm_seconds(p: GpuProfile, tokens: float, share: float, prefill: bool = False) -> float:
    """All-to-all of `tokens` tokens (busiest GPU's share) plus the TP attention all-reduce.
    Decode's low-latency kernels: on-node then off-node time; prefill's high-throughput
    (normal) kernels use NVLink and the scale-out NIC at once, at their own scale-out rate."""
    m, hw, d = p.model, p.hardware, p.deployment
    g = d.gpus
    scale_out = max(0.0, 1.0 - hw.gpus_per_node / g)
    scale_up = (1.0 - 1.0 / g) - scale_out
    sent = m.moe_layers * tokens * share * m.top_k * m.hidden * (d.dispatch_bytes + d.combine_bytes)
    on_node = sent * scale_up / (hw.scale_up_gb_s * 1e9)
    if prefill:  # normal kernels drive NVLink and RDMA at once: the slower link bounds them
        out_gb_s = hw.scale_out_prefill_gb_s or hw.scale_out_gb_s
        t = max(on_node, sent * scale_out / (out_gb_s * 1e9))
    else:
        t = on_node + sent * scale_out / (hw.scale_out_gb_s * 1e9)
    tp = d.attention_tp
    if tp > 1:  # ring all-reduce of the attention output (BF16) over NVLink, per layer
        t += m.layers * 2 * (tp - 1) / tp * tokens * tp * m.hidden * 2 / (hw.scale_up_gb_s * 1e9)
    return t


def overlap(t_gpu: float, t_comm: float, p: GpuProfile) -> float:
    """Exposed time of GPU work and communication: overlapped by two micro-batches (but for
    one layer of one micro-batch: the pipeline's fill), else one after the other."""
    if p.deployment.micro_batches >= 2:
        return max(t_gpu, t_comm) + min(t_gpu, t_comm) / (2 * max(1, p.model.moe_layers))
    return t_gpu + t_comm


def _gemm_bw(p: GpuProfile) -> float:
    return p.hardware.hbm_bandwidth_tb_s * 1e12 * p.hardware.gemm_hbm_efficiency


def decode_step(p: GpuProfile, batch: float, context: float) -> StepTimes:
    """One decode step. Each of the `micro_batches` micro-batches runs its own GEMMs, so the
    weights (dense, and the experts its tokens hit) are streamed once per micro-batch."""
    m, d = p.model, p.deployment
    q = 1 + d.mtp_draft_tokens
    tokens = batch * q
    mbs = d.micro_batches
    experts = busiest_experts_read(m.routed_experts, m.top_k, tokens * d.gpus / mbs, d.gpus)
    experts = min(experts, expert_slots_per_gpu(p))
    share = busiest_token_share(tokens * d.gpus, m.top_k, d.gpus, redundancy(p))
    phases = [
        (mbs * dense_params_held(p) * m.bytes_per_param / _gemm_bw(p),
         2.0 * dense_params(p) * tokens / linear_flops(p)),
        (kv_sequences_per_gpu(p, batch) * context * m.kv_bytes_per_token / _bw(p),
         tokens * attn_flops_per_query(p, context, m.attn_dim_per_head) / attention_flops(p)),
        (mbs * m.moe_layers * experts * m.expert_params * m.expert_bytes_per_param / _gemm_bw(p),
         2.0 * m.top_k * m.moe_layers * m.expert_params * tokens * share / linear_flops(p)),
    ]
    t_mem, t_compute = sum(a for a, _ in phases), sum(c for _, c in phases)
    t_comm = _comm_seconds(p, tokens, share)
    t_gpu = (sum(max(a, c) for a, c in phases) + m.layers * mbs * d.layer_overhead_us / 1e6
             + d.comm_sm_fraction * t_comm)
    accepted = 1 + d.mtp_draft_tokens * d.mtp_acceptance
    t_step = overlap(t_gpu, t_comm, p) + d.step_overhead_ms / 1e3
    return StepTimes(t_mem, t_compute, t_gpu, t_comm, t_step, experts, accepted)


def prefill_seconds_per_token(p: GpuProfile, prompt: float) -> float:
    """Seconds of one GPU per uncached prompt token, prompts of `prompt` tokens prefilled
    `prefill_chunk_tokens` per GPU per forward: linear FLOPs and MLA prefill attention (not
    absorbed: q.k 192 + p.v 128 = 320 per head for DeepSeek-V3) over half the prompt on
    average at `prefill_mfu` of peak; the weights (read once per chunk) and the KV written as
    memory traffic; the all-to-all, overlapped with them as in decode."""
    m, d = p.model, p.deployment
    t_compute = (2.0 * m.active_params / (peak_linear(p) * d.prefill_mfu)
                 + attn_flops_per_query(p, prompt / 2, m.prefill_attn_dim_per_head)
                 / (p.hardware.bf16_tflops * 1e12 * d.prefill_mfu))
    t_mem = (weight_bytes_held(p) / d.prefill_chunk_tokens + m.kv_bytes_per_token) / _bw(p)
    share = busiest_token_share(d.prefill_chunk_tokens * d.gpus, m.top_k, d.gpus, redundancy(p))
    return overlap(max(t_compute, t_mem), _comm_seconds(p, 1.0, share, prefill=True), p)
