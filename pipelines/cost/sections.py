"""Profile sections shared by GPU and measured profiles: the off-peak window, the prefix-cache
tier and a calibration measured on a live server (`profiles.py` assembles them)."""

from __future__ import annotations

from datetime import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipelines.cost.sheets import clock_time

_STRICT = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class OffPeak(BaseModel):
    """The daily UTC hours when interactive traffic is low and the server runs bulk batches:
    calls starting inside them are priced at the bulk tier (tier `off-peak`)."""

    model_config = _STRICT

    start: time = time(22, 0)
    """UTC clock time the window opens, quoted: '22:00'."""
    end: time = time(6, 0)
    """UTC clock time it closes (exclusive); may be earlier than start (wraps midnight)."""

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clocks(cls, v: Any) -> time:
        return clock_time(v)

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} UTC"


class Cache(BaseModel):
    """Where the prefix cache keeps its KV and what that costs. A cache hit is priced as the
    GPU time its KV takes to load plus its share of the storage: every uncached prompt token is
    stored once for `retention_hours` and serves hit_rate / (1 - hit_rate) hits on average."""

    model_config = _STRICT

    tier: Literal["hbm", "dram", "ssd"] = "hbm"
    """hbm: in GPU memory (vLLM/SGLang prefix cache); dram: host memory; ssd: a disk store
    (DeepSeek's 3FS)."""
    usd_per_gb_hour: float | None = Field(default=None, ge=0)
    """Storage price. Default per tier: hbm 0 (the cache lives in the HBM the batch leaves
    free; give the GPU's $/hour / GB if it displaces batch); dram $0.0036 (AWS
    us-east-1 on demand, r7i.large $0.1323/h with 16 GiB - c7i.large $0.08925/h with 4 GiB =
    12 GiB); ssd $0.00011 (AWS EBS gp3 $0.08 per GB-month)."""
    load_gb_s: float | None = Field(default=None, gt=0)
    """Bandwidth a hit's KV loads at, per GPU, GB/s. Default per tier: hbm the achieved HBM
    bandwidth; dram 50 (PCIe Gen5 x16, 64 GB/s nominal); ssd 5.4 (3FS: 40 GiB/s of KV cache
    reads per 8-GPU client node); `deployment.cache_tier_gb_s` wins when set."""
    retention_hours: float = Field(default=1.0, gt=0)
    """How long a stored prefix is kept (an assumption: set your cache's TTL)."""


class Calibration(BaseModel):
    """Figures measured from a server's Prometheus metrics (`pipe cost calibrate`)."""

    model_config = _STRICT

    source: str
    """The URL or file(s) scraped."""
    measured_at: str
    """When (UTC, ISO 8601)."""
    method: str
    """How throughput was derived (counter deltas, gauge, or TPOT histogram)."""
    running_requests: float = Field(ge=0)
    """Sequences running on the server (mean over the scrapes)."""
    output_tokens_per_s_per_gpu: float = Field(ge=0)
    """Measured output throughput per GPU; replaces the modelled figure (not used when `role`
    is prefill)."""
    nodes: int = 1
    """Nodes scraped and combined."""
    kv_cache_usage: float | None = None
    """Mean fraction of KV-cache blocks in use (recorded, not priced)."""
    waiting_requests: float | None = None
    """Requests queued when scraped: above 0 the server is saturated."""
    ttft_s: float | None = None
    """Mean time to first token over the interval, seconds."""
    cached_tokens: float | None = None
    """Prompt tokens served from the prefix cache over the interval."""
    role: Literal["both", "decode", "prefill"] = "both"
    """What the scraped servers run: both phases (an aggregated server), or one side of a
    prefill/decode-disaggregated deployment."""
    prompt_tokens_per_s_per_gpu: float | None = Field(default=None, ge=0)
    """Uncached prompt tokens prefilled per second per GPU (prompt - cached counters)."""
