"""Deployment profiles: what a self-hosted server costs to run.

Two kinds, told apart by their sections:
- a GPU profile (`hardware` + `deployment` + `model` + `workload`) is priced by the
  first-principles MoE model in `economics.py`; `hardware.gpu` names an entry of the GPU
  catalogue (recipes/cost/gpus.yaml) whose figures the profile may override;
- a measured profile (`hardware` + `measured`) is priced from a $/CPU-hour and decode
  throughput measured at several batch sizes (the embedded CPU server).

Both have an `off_peak` window: the hours the server runs bulk batches (see `derive.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator

from pipelines.cost.sections import Cache, Calibration, OffPeak
from pipelines.cost.yamlio import (COST_DATA_DIR, issue_at, raise_issues, read_yaml,
                                   validate_data)

PROFILES_DIR = COST_DATA_DIR / "profiles"
GPU_CATALOGUE = COST_DATA_DIR / "gpus.yaml"

_STRICT = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Gpu(BaseModel):
    """One accelerator's figures, per GPU."""

    model_config = _STRICT

    hbm_bandwidth_tb_s: float = Field(gt=0)
    """HBM bandwidth, TB/s."""
    memory_gb: float = Field(gt=0)
    """HBM capacity, GB."""
    bf16_tflops: float = Field(gt=0)
    """Dense BF16 tensor throughput, TFLOP/s."""
    fp8_tflops: float = Field(gt=0)
    """Dense FP8 tensor throughput, TFLOP/s (BF16 figure on GPUs without FP8)."""
    scale_up_gb_s: float = Field(gt=0)
    """Achievable scale-up (NVLink) bandwidth per GPU per direction, GB/s."""
    scale_out_gb_s: float = Field(gt=0)
    """Effective scale-out (InfiniBand/RoCE) bandwidth per GPU, GB/s."""
    gpus_per_node: int = Field(gt=0)
    """GPUs sharing one scale-up domain."""
    scale_out_prefill_gb_s: float | None = Field(default=None, gt=0)
    """Scale-out bandwidth of prefill's high-throughput all-to-all (DeepEP normal kernels,
    which forward over NVLink: 57 GB/s at EP32 on H800 + CX7), GB/s; default scale_out_gb_s."""
    hbm_efficiency: float = Field(default=0.9, gt=0, le=1)
    """Achieved / datasheet HBM bandwidth of decode attention's KV reads (FlashMLA: 3,000 of
    3,350 GB/s on H800)."""
    gemm_hbm_efficiency: float = Field(default=0.54, gt=0, le=1)
    """Achieved / datasheet HBM bandwidth of decode GEMMs streaming their weights at small
    batch (DeepSeek's decode profile: attention projections, 204 MB in 113 us = 1.8 TB/s)."""
    linear_efficiency: float = Field(default=0.38, gt=0, le=1)
    """Achieved / datasheet FLOP/s of decode weight GEMMs (DeepSeek's decode profile: routed
    expert GEMMs, 9.0e10 FLOP per micro-batch in 120 us on H800 = 750 of 1,979 FP8)."""
    attention_efficiency: float = Field(default=0.59, gt=0, le=1)
    """Achieved / datasheet BF16 FLOP/s of decode attention (FlashMLA: 580 of 989)."""


class Hardware(Gpu):
    """The GPU figures plus what the deployment pays for them."""

    gpu: str | None = None
    """Catalogue name (H100, H800, ...); the fields above may override its figures."""
    usd_per_gpu_hour: float = Field(gt=0)
    """What one GPU-hour costs you."""
    utilisation: float = Field(default=1.0, gt=0, le=1)
    """Fraction of paid GPU-hours spent serving (idle hours raise the price per token)."""


class Deployment(BaseModel):
    model_config = _STRICT

    gpus: int = Field(gt=0)
    """GPUs in the expert-parallel group (the experts are spread over them)."""
    batch_per_gpu: float | None = Field(default=None, gt=0)
    """Sequences decoded together per GPU; give this or `tps_per_user`."""
    tps_per_user: float | None = Field(default=None, gt=0)
    """Target output tokens/s per user; the batch is the largest that still meets it."""
    prefill_mfu: float = Field(default=0.4, gt=0, le=1)
    """Fraction of peak FLOP/s that prefill achieves (it is compute-bound)."""
    prefill_chunk_tokens: float = Field(default=16384, gt=0)
    """Prompt tokens per GPU per prefill forward (the weights are read once per chunk)."""
    micro_batches: int = Field(default=1, ge=1, le=2)
    """2: two micro-batches overlap communication with computation (DeepSeek's practice)."""
    mtp_draft_tokens: int = Field(default=0, ge=0)
    """Multi-token prediction: draft tokens verified per sequence per step (DeepSeek-V3: 1)."""
    mtp_acceptance: float = Field(default=0.0, ge=0, le=1)
    """Fraction of draft tokens accepted (DeepSeek-V3 report: 85-90% for the second token)."""
    attention_tp: int = Field(default=1, ge=1)
    """Tensor-parallel degree of attention (1: data-parallel attention, each GPU its own
    sequences)."""
    redundant_experts: int = Field(default=0, ge=0)
    """Extra copies of hot experts spread over the group (DeepSeek decode: 32)."""
    step_overhead_ms: float = Field(default=0.0, ge=0)
    """Time per decode step outside the layers that nothing overlaps (embedding, LM head,
    MTP module, sampling), ms: measure it (DeepSeek's decode profile: 8.7)."""
    comm_sm_fraction: float = Field(default=0.0, ge=0, le=1)
    """Fraction of the all-to-all during which its kernels hold the SMs (sending, receiving),
    so it adds to GPU time even when overlapped (LMSYS 2025-05-05: DeepEP's low-latency
    dispatch holds the SMs 0.06 of its ~0.19 ms; the rest is waiting in flight)."""
    layer_overhead_us: float = Field(default=0.0, ge=0)
    """Small kernels per layer per micro-batch (norms, RoPE, activation quantisation, router
    top-k), us: measure it (DeepSeek's decode profile: 47)."""
    cache_tier_gb_s: float | None = Field(default=None, gt=0)
    """Bandwidth a prefix-cache hit's KV is loaded at, GB/s: overrides `cache.load_gb_s`
    and its tier's default."""
    dispatch_bytes: float = Field(default=1, gt=0)
    """Bytes per hidden value sent to the experts (1 = FP8 dispatch)."""
    combine_bytes: float = Field(default=2, gt=0)
    """Bytes per hidden value sent back from the experts (2 = BF16 combine)."""

    @model_validator(mode="after")
    def _one_batch_rule(self) -> Deployment:
        if (self.batch_per_gpu is None) == (self.tps_per_user is None):
            raise ValueError("give exactly one of `batch_per_gpu` or `tps_per_user`")
        return self


class ModelArch(BaseModel):
    model_config = _STRICT

    name: str
    """Model name, also matched against request model names."""
    aliases: list[str] = []
    """Other names requests may use for this model."""
    layers: int = Field(gt=0)
    """Transformer layers."""
    moe_layers: int = Field(ge=0)
    """Layers whose FFN is a mixture of experts."""
    hidden: int = Field(gt=0)
    """Hidden size (values per token exchanged with the experts)."""
    total_params: float = Field(gt=0)
    """All parameters."""
    active_params: float = Field(gt=0)
    """Parameters used per token."""
    routed_experts: int = Field(gt=0)
    """Routed experts per MoE layer (E)."""
    top_k: int = Field(gt=0)
    """Routed experts each token picks (k)."""
    shared_experts: int = Field(ge=0)
    """Always-on experts per MoE layer."""
    expert_params: float = Field(gt=0)
    """Parameters of one expert (e.g. 3 * hidden * moe_intermediate)."""
    bytes_per_param: float = Field(gt=0)
    """Weight storage: 1 = FP8 (computes at the FP8 rate), 2 = BF16."""
    expert_bytes_per_param: float | None = Field(default=None, gt=0)
    """Routed-expert weight storage where it differs from `bytes_per_param` (gpt-oss: MXFP4,
    4.25 bits = 0.53 bytes, beside BF16 attention); default `bytes_per_param`. A weight-only
    format computes at the rate `bytes_per_param` selects (no FP4 tensor cores on Hopper)."""
    kv_bytes_per_token: float = Field(gt=0)
    """KV-cache bytes per token over all layers (MLA 70,272 for DeepSeek-V3)."""
    attn_heads: int = Field(gt=0)
    """Query heads in the decode attention."""
    attn_dim_per_head: int = Field(gt=0)
    """Values each query head reads per cached token, q.k plus p.v (MLA absorbed: 576+512)."""
    prefill_attn_dim_per_head: int | None = Field(default=None, gt=0)
    """The same in prefill (MLA not absorbed: 192 + 128 = 320); default: the decode width."""
    attn_params: float = Field(default=0.0, ge=0)
    """Attention parameters over all layers (tensor-parallel attention splits them)."""
    kv_tp_split: int = Field(default=1, ge=1)
    """Tensor-parallel ranks that can split the KV cache (KV heads for GQA; 1 for MLA, whose
    latent every head reads)."""

    @model_validator(mode="after")
    def _prefill_width(self) -> ModelArch:
        if self.prefill_attn_dim_per_head is None:
            self.prefill_attn_dim_per_head = self.attn_dim_per_head
        if self.expert_bytes_per_param is None:
            self.expert_bytes_per_param = self.bytes_per_param
        return self


class Workload(BaseModel):
    model_config = _STRICT

    context_len: float = Field(gt=0)
    """Average KV length while decoding, tokens."""
    prefix_hit_rate: float = Field(ge=0, le=1)
    """Fraction of prompt tokens served from the prefix cache."""
    prompt_tokens_per_output: float = Field(ge=0)
    """Prompt tokens per output token in the traffic mix (DeepSeek: 608B/168B = 3.6)."""
    prompt_len: float | None = Field(default=None, gt=0)
    """Average prompt length, tokens (prefill attention spans it); default: context_len."""


class GpuProfile(BaseModel):
    """A self-hosted MoE deployment priced from first principles."""

    model_config = _STRICT

    name: str
    """Profile name used in price sources."""
    version: str
    """Bump when figures change."""
    description: str = ""
    """What is deployed where, and where the figures come from."""
    hardware: Hardware
    deployment: Deployment
    model: ModelArch
    workload: Workload
    cache: Cache = Cache()
    """Where prefix-cache hits are stored and loaded from (default: GPU memory)."""
    calibration: Calibration | None = None
    """Present when calibrated from a live server."""
    off_peak: OffPeak = OffPeak()
    """When bulk batches run (default 22:00-06:00 UTC: set it to your deployment's nights)."""


class CpuHardware(BaseModel):
    model_config = _STRICT

    device: str
    """What it runs on, in words."""
    cpus: float = Field(gt=0)
    """CPU cores (vCPUs) the server uses."""
    usd_per_cpu_hour: float = Field(gt=0)
    """What one vCPU-hour costs."""
    utilisation: float = Field(default=1.0, gt=0, le=1)
    """Fraction of paid hours spent serving."""


class Measured(BaseModel):
    model_config = _STRICT

    placeholder: bool
    """True while the figures below are not yet measured (then say so in `source`)."""
    source: str
    """The command and date that produced the figures."""
    decode_tokens_per_s: dict[float, float] = Field(min_length=1)
    """Output tokens/s of the whole server by requests decoded together (batch: tok/s); the
    largest batch is the most the server holds at once (the bulk tier)."""
    prefill_tokens_per_s: float = Field(gt=0)
    """Uncached prompt tokens per second."""
    cache_hit_tokens_per_s: float = Field(gt=0)
    """Prompt tokens per second when served from the prefix cache."""


class ServedModel(BaseModel):
    model_config = _STRICT

    name: str
    """Model name, matched against request model names."""
    aliases: list[str] = []
    """Other names requests may use for it."""


class MeasuredProfile(BaseModel):
    """A server priced from its hourly cost and measured throughput."""

    model_config = _STRICT

    name: str
    """Profile name used in price sources."""
    version: str
    """Bump when figures change."""
    description: str = ""
    """What runs where."""
    model: ServedModel
    """The model served."""
    hardware: CpuHardware
    measured: Measured
    tps_per_user: float = Field(gt=0)
    """Standard tier: the largest measured batch that still gives each user this many output
    tokens/s."""
    calibration: Calibration | None = None
    """Present when calibrated from a live server (every measured batch scales by it)."""
    off_peak: OffPeak = OffPeak()
    """When bulk batches run (default 22:00-06:00 UTC)."""

    @field_validator("measured")
    @classmethod
    def _positive_points(cls, m: Measured) -> Measured:
        if any(b <= 0 or v <= 0 for b, v in m.decode_tokens_per_s.items()):
            raise ValueError("decode_tokens_per_s needs batch: tokens/s pairs above zero")
        return m


Profile = GpuProfile | MeasuredProfile


class GpuCatalogue(RootModel[dict[str, Gpu]]):
    """GPU name -> its figures."""


def gpu_catalogue(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """GPU name -> its raw figures (checked against `Gpu`; merged into profiles unparsed so
    that a profile's overrides are validated together with them)."""
    path = path or GPU_CATALOGUE
    data, node = read_yaml(path)
    validate_data(GpuCatalogue, data, path, node, "GPU catalogue")
    return data


def _check_arch(m: ModelArch) -> list[tuple[tuple[str, ...], str, str]]:
    """Cross-field checks pydantic cannot express per field: (field, message, fix)."""
    bad = []
    if m.top_k > m.routed_experts:
        bad.append((("model", "top_k"),
                    f"top_k ({m.top_k}) exceeds routed_experts E ({m.routed_experts})",
                    "a token picks k of E experts: k <= E"))
    if m.moe_layers > m.layers:
        bad.append((("model", "moe_layers"), f"moe_layers ({m.moe_layers}) > layers ({m.layers})",
                    "count only layers that exist"))
    if m.active_params > m.total_params:
        bad.append((("model", "active_params"), "active_params exceeds total_params",
                    "active parameters are a subset of all parameters"))
    if m.routed_experts * m.expert_params * m.moe_layers > m.total_params * 1.001:
        bad.append((("model", "expert_params"),
                    "routed_experts * expert_params * moe_layers exceeds total_params",
                    "expert_params is one expert of one layer"))
    return bad


def _merge_gpu(data: dict[str, Any], path: Path, node: Any) -> dict[str, Any]:
    hw = data.get("hardware")
    if not isinstance(hw, dict) or "gpu" not in hw:
        return data
    catalogue = gpu_catalogue()
    if hw["gpu"] not in catalogue:
        raise_issues([issue_at(path, node, ("hardware", "gpu"), f"unknown GPU {hw['gpu']!r}",
                               f"use one of {', '.join(sorted(catalogue))} or give every "
                               f"figure of {GPU_CATALOGUE.name} yourself")], "profile")
    return {**data, "hardware": {**catalogue[hw["gpu"]], **hw}}


def profile_from_dict(data: dict[str, Any], path: Path, node: Any = None) -> Profile:
    if "measured" in data:
        return validate_data(MeasuredProfile, data, path, node, "profile")
    profile = validate_data(GpuProfile, _merge_gpu(data, path, node), path, node, "profile")
    issues = [issue_at(path, node, loc, msg, fix) for loc, msg, fix in _check_arch(profile.model)]
    raise_issues(issues, "profile")
    return profile


def load_profile(path: str | Path) -> Profile:
    path = Path(path)
    data, node = read_yaml(path)
    return profile_from_dict(data, path, node)


def model_names(profile: Profile) -> list[str]:
    return [profile.model.name, *profile.model.aliases]
