"""The model's weights as typed per-layer structures, built once from the checkpoint's named tensors.

On disk (and in the torch twin) every tensor keeps its torch name and layout ([out, in]), see
`moe.checkpoint.param_shapes`. Inference wants them transposed ([in, out], contiguous) so that
every projection is a plain `x @ W`, and some fused: the query and compressed-KV projections
side by side, the gate and up projections of each SwiGLU expert side by side, `attn.wkv_b` split
per head for the absorbed attention. `ModelWeights.from_tensors` does all of that once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from moe.checkpoint import TENSORS_FILE, TOKENIZER_FILE, write_config
from moe.config import ModelConfig
from moe.tokenizer import Tokenizer


@dataclass(frozen=True, slots=True)
class AttentionWeights:
    """One layer's multi-head latent attention (MLA), laid out for the absorbed form."""

    wq_kv_a: np.ndarray
    """[d, H*(nope+rope) + r+rope]: `attn.wq` and `attn.wkv_a` side by side, one matmul."""
    kv_norm: np.ndarray
    """[r]: RMSNorm weight of the compressed KV latent (`attn.kv_norm`)."""
    w_uk: np.ndarray
    """[H, nope, r]: the key half of `attn.wkv_b`, absorbed into the query."""
    w_uv_t: np.ndarray
    """[H, r, v]: the value half of `attn.wkv_b`, applied to the attended latent."""
    wo: np.ndarray
    """[H*v, d]: output projection (`attn.wo`)."""


@dataclass(frozen=True, slots=True)
class ExpertWeights:
    """SwiGLU expert(s): `silu(x @ w1) * (x @ w3) @ w2`, with w1 and w3 side by side in w13."""

    w13: np.ndarray
    """[d, 2h] for the shared expert, [E, d, 2h] for the routed experts."""
    w2: np.ndarray
    """[h, d] for the shared expert, [E, h, d] for the routed experts."""


@dataclass(frozen=True, slots=True)
class MoEWeights:
    """One layer's feed-forward: a router, the routed experts and the shared expert (`moe.*`)."""

    router: np.ndarray
    """[d, E]: router logits are `x @ router`."""
    router_bias: np.ndarray
    """[E]: selection bias (aux-loss-free balancing); it picks experts but never weights them."""
    routed: ExpertWeights
    shared: ExpertWeights


@dataclass(frozen=True, slots=True)
class LayerWeights:
    """One transformer block, named as on disk: `layers.{i}.attn_norm`, `.attn.*`, `.ffn_norm`, `.moe.*`."""

    attn_norm: np.ndarray
    attn: AttentionWeights
    ffn_norm: np.ndarray
    moe: MoEWeights


@dataclass(frozen=True, slots=True)
class ModelWeights:
    """Every weight the numpy forward pass reads."""

    embed: np.ndarray
    """[vocab, d]: token embeddings (rows are gathered, so not transposed)."""
    layers: tuple[LayerWeights, ...]
    norm: np.ndarray
    """[d]: final RMSNorm weight."""
    lm_head_t: np.ndarray
    """[d, vocab]: `lm_head.weight` transposed."""

    @classmethod
    def from_tensors(cls, tensors: dict[str, np.ndarray], cfg: ModelConfig) -> "ModelWeights":
        """Typed weights from float32 tensors named as in model.safetensors."""
        return cls(embed=tensors["embed.weight"],
                   layers=tuple(_layer(tensors, f"layers.{i}.", cfg) for i in range(cfg.n_layers)),
                   norm=tensors["norm.weight"], lm_head_t=_t(tensors["lm_head.weight"]))


def _t(w: np.ndarray) -> np.ndarray:
    """A matrix or a stack of matrices transposed to [in, out], contiguous."""
    return np.ascontiguousarray(np.swapaxes(w, -1, -2))


def _layer(tensors: dict[str, np.ndarray], p: str, cfg: ModelConfig) -> LayerWeights:
    """Block `p` ("layers.{i}.") from its tensors."""
    return LayerWeights(attn_norm=tensors[p + "attn_norm.weight"], attn=_attention(tensors, p + "attn.", cfg),
                        ffn_norm=tensors[p + "ffn_norm.weight"], moe=_moe(tensors, p + "moe."))


def _attention(tensors: dict[str, np.ndarray], p: str, cfg: ModelConfig) -> AttentionWeights:
    w_uk, w_uv = absorb_weights(tensors[p + "wkv_b.weight"], cfg)
    return AttentionWeights(wq_kv_a=_t(np.concatenate([tensors[p + "wq.weight"], tensors[p + "wkv_a.weight"]])),
                            kv_norm=tensors[p + "kv_norm.weight"], w_uk=w_uk, w_uv_t=_t(w_uv),
                            wo=_t(tensors[p + "wo.weight"]))


def _moe(tensors: dict[str, np.ndarray], p: str) -> MoEWeights:
    routed = ExpertWeights(w13=_t(np.concatenate([tensors[p + "experts.w1"], tensors[p + "experts.w3"]], axis=1)),
                           w2=_t(tensors[p + "experts.w2"]))
    shared = ExpertWeights(w13=_t(np.concatenate([tensors[p + "shared.w1.weight"], tensors[p + "shared.w3.weight"]])),
                           w2=_t(tensors[p + "shared.w2.weight"]))
    return MoEWeights(router=_t(tensors[p + "router.weight"]), router_bias=tensors[p + "router_bias"],
                      routed=routed, shared=shared)


def absorb_weights(wkv_b: np.ndarray, cfg: ModelConfig) -> tuple[np.ndarray, np.ndarray]:
    """Split wkv_b [H*(nope+v), r] into W_uk [H, nope, r] and W_uv [H, v, r]."""
    per_head = wkv_b.reshape(cfg.n_heads, cfg.qk_nope_dim + cfg.v_head_dim, cfg.kv_lora_rank)
    return (np.ascontiguousarray(per_head[:, : cfg.qk_nope_dim]),
            np.ascontiguousarray(per_head[:, cfg.qk_nope_dim:]))


def read_tensors(path: Path) -> dict[str, np.ndarray]:
    """The named tensors of the checkpoint directory `path`, as stored (fp16 for the shipped one)."""
    return load_file(str(path / TENSORS_FILE))


def write_weights(path: str | Path, config: ModelConfig, tokenizer: Tokenizer,
                  tensors: dict[str, np.ndarray], dtype: type = np.float16) -> None:
    """Write a checkpoint directory: config.json, tokenizer.json and model.safetensors (as dtype)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    write_config(path, config)
    tokenizer.save(path / TOKENIZER_FILE)
    save_file({k: np.ascontiguousarray(v, dtype=dtype) for k, v in tensors.items()}, str(path / TENSORS_FILE))
