"""Architecture of the embedded MoE model (DeepSeek-style: MLA attention + fine-grained MoE)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from moe.errors import MoEInputError


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters shared by the numpy model, the torch trainer and config.json."""

    vocab_size: int = 1024
    d_model: int = 128
    n_layers: int = 6
    n_heads: int = 4
    kv_lora_rank: int = 48
    """Width of the compressed KV latent that the cache stores per token and layer."""
    qk_nope_dim: int = 16
    """Per-head query/key width without position (reconstructed from the latent)."""
    qk_rope_dim: int = 16
    """Width of the decoupled RoPE key, shared by all heads and cached next to the latent."""
    v_head_dim: int = 32
    n_routed_experts: int = 8
    n_shared_experts: int = 1
    top_k: int = 2
    expert_hidden: int = 128
    """SwiGLU hidden width of every (routed and shared) expert."""
    max_seq_len: int = 768
    rope_theta: float = 10000.0
    norm_eps: float = 1e-6
    routed_scaling: float = 1.0
    """Multiplier on the normalised gate weights of the routed experts."""

    def __post_init__(self) -> None:
        if self.top_k < 1 or self.top_k > self.n_routed_experts:
            raise MoEInputError(
                f"ModelConfig.top_k={self.top_k} must lie in 1..n_routed_experts={self.n_routed_experts}"
            )
        if self.qk_rope_dim % 2:
            raise MoEInputError(f"ModelConfig.qk_rope_dim={self.qk_rope_dim} must be even (RoPE rotates pairs)")

    @property
    def cache_width(self) -> int:
        """Floats cached per token and layer: latent + rope key."""
        return self.kv_lora_rank + self.qk_rope_dim

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise MoEInputError(
                f"model config has unknown fields {unknown}; known fields: {sorted(known)}"
            )
        return cls(**data)
