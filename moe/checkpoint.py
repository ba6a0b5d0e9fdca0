"""The checkpoint format shared by inference and training: file names, tensor names, the shipped copy.

A checkpoint is a directory of three files: `config.json` (a `ModelConfig`), `tokenizer.json`
and `model.safetensors`, whose tensors carry the names and torch-layout shapes of
`param_shapes` (numpy inference and the torch twin read and write the same names). The project
ships one in `moe/weights/`. This module needs neither numpy nor safetensors: reading the
tensors is `moe.inference.weights`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from moe.config import ModelConfig
from moe.errors import MoEInputError

DEFAULT_WEIGHTS_DIR = Path(__file__).parent / "weights"
"""The shipped checkpoint (`moe-tiny`)."""
CONFIG_FILE, TOKENIZER_FILE, TENSORS_FILE = "config.json", "tokenizer.json", "model.safetensors"
FILES = (CONFIG_FILE, TOKENIZER_FILE, TENSORS_FILE)


def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor in model.safetensors (torch layout: [out, in])."""
    d, h, e = cfg.d_model, cfg.n_heads, cfg.n_routed_experts
    shapes: dict[str, tuple[int, ...]] = {"embed.weight": (cfg.vocab_size, d)}
    for i in range(cfg.n_layers):
        p = f"layers.{i}."
        shapes.update({
            p + "attn_norm.weight": (d,),
            p + "attn.wq.weight": (h * (cfg.qk_nope_dim + cfg.qk_rope_dim), d),
            p + "attn.wkv_a.weight": (cfg.kv_lora_rank + cfg.qk_rope_dim, d),
            p + "attn.kv_norm.weight": (cfg.kv_lora_rank,),
            p + "attn.wkv_b.weight": (h * (cfg.qk_nope_dim + cfg.v_head_dim), cfg.kv_lora_rank),
            p + "attn.wo.weight": (d, h * cfg.v_head_dim),
            p + "ffn_norm.weight": (d,),
            p + "moe.router.weight": (e, d),
            p + "moe.router_bias": (e,),
            p + "moe.experts.w1": (e, cfg.expert_hidden, d),
            p + "moe.experts.w3": (e, cfg.expert_hidden, d),
            p + "moe.experts.w2": (e, d, cfg.expert_hidden),
            p + "moe.shared.w1.weight": (cfg.n_shared_experts * cfg.expert_hidden, d),
            p + "moe.shared.w3.weight": (cfg.n_shared_experts * cfg.expert_hidden, d),
            p + "moe.shared.w2.weight": (d, cfg.n_shared_experts * cfg.expert_hidden),
        })
    shapes["norm.weight"] = (d,)
    shapes["lm_head.weight"] = (cfg.vocab_size, d)
    return shapes


def check_files(path: Path) -> None:
    """Raise MoEInputError naming the checkpoint files `path` lacks."""
    absent = [str(path / name) for name in FILES if not (path / name).is_file()]
    if absent:
        raise MoEInputError(f"model directory {path} lacks {absent}; point at a directory written by "
                            "scripts/train_moe.py")


def read_config(path: Path) -> ModelConfig:
    """The `ModelConfig` of the checkpoint directory `path`."""
    return ModelConfig.from_dict(json.loads((path / CONFIG_FILE).read_text(encoding="utf-8")))


def write_config(path: Path, config: ModelConfig) -> None:
    """Write `config` as the config.json of the checkpoint directory `path`."""
    (path / CONFIG_FILE).write_text(json.dumps(config.to_dict(), indent=1) + "\n", encoding="utf-8")


@functools.lru_cache(maxsize=4)
def weights_digest(path: str | Path = DEFAULT_WEIGHTS_DIR) -> str:
    """Short sha256 of a weights directory's three files: names what the model answers with, so
    that a response cached from other weights is never served as this model's."""
    digest = hashlib.sha256()
    for name in FILES:
        digest.update((Path(path) / name).read_bytes())
    return digest.hexdigest()[:16]
