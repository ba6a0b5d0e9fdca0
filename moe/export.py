"""Export the embedded model to Hugging Face DeepSeek-V3 format, for transformers, vLLM and SGLang.

    python -m moe.export OUT_DIR [--weights DIR] [--mla-pad]

writes config.json (`DeepseekV3ForCausalLM`), model.safetensors (fp32, HF key names, one
tensor per expert projection), tokenizer.json (with a decoder that joins the pieces),
tokenizer_config.json (the chat template as Jinja) and generation_config.json. Needs only
numpy and safetensors.

Two conventions differ from this project's and are converted here, exactly:
- RoPE: the project rotates half-split pairs (i, i + d/2); DeepSeek-V3 in transformers and vLLM
  rotates interleaved pairs (2i, 2i+1). The RoPE rows of the query and KV-A projections are
  permuted per head so that pair i lands on rows 2i, 2i+1 (q·k is unchanged).
- `--mla-pad`: vLLM's MLA kernels take only latent + rope widths of 576 on CPU (512 + 64). The
  latent is zero-padded 48 -> 512 with a compensating scale around its RMSNorm, the rope key
  16 -> 64 with the original pairs on the frequencies they had (pair i -> pair 4i, the others
  zero), and the query scaled for the softmax's wider head. Without it, serve with
  VLLM_MLA_DISABLE=1 (a plain K/V cache, prefix caching kept).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from moe.checkpoint import DEFAULT_WEIGHTS_DIR, TOKENIZER_FILE, check_files, read_config
from moe.config import ModelConfig
from moe.errors import MoEInputError
from moe.inference.weights import read_tensors
from moe.tokenizer import ROLES, SPECIALS

MODEL_NAME = "moe-tiny"
PADDED_LATENT, PADDED_ROPE = 512, 64
"""The only MLA widths vLLM's CPU backend accepts (DeepSeek-V3's own)."""

CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] not in ['" + "', '".join(ROLES) + "'] %}"
    "{{ raise_exception('role ' ~ message['role'] ~ ' is not supported; use one of "
    + ", ".join(ROLES) + "') }}{% endif %}"
    "{{ '<|' ~ message['role'] ~ '|>' ~ message['content'] ~ eos_token }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)
"""`Tokenizer.apply_chat_template` as Jinja: <bos>, then <|role|>content<eos> per turn, then the opener."""


@dataclass(frozen=True)
class Widths:
    """MLA widths of the exported model (the project's, or padded for vLLM's MLA kernels)."""

    latent: int
    rope: int

    @classmethod
    def of(cls, cfg: ModelConfig, mla_pad: bool) -> "Widths":
        if not mla_pad:
            return cls(cfg.kv_lora_rank, cfg.qk_rope_dim)
        if cfg.kv_lora_rank > PADDED_LATENT or PADDED_ROPE % cfg.qk_rope_dim:
            raise MoEInputError(f"--mla-pad needs kv_lora_rank <= {PADDED_LATENT} and qk_rope_dim dividing "
                                f"{PADDED_ROPE}; this model has {cfg.kv_lora_rank} and {cfg.qk_rope_dim}")
        return cls(PADDED_LATENT, PADDED_ROPE)


def rope_rows(rope_dim: int, padded: int) -> np.ndarray:
    """Target row (in a `padded`-wide interleaved rope block) of each half-split source row.

    Source pair i is (i, i + rope_dim/2) at frequency theta^(-2i/rope_dim); in the padded block
    that frequency is pair i * padded/rope_dim, whose rows are 2j and 2j + 1.
    """
    half, stride = rope_dim // 2, padded // rope_dim
    pair = np.arange(half) * stride
    return np.concatenate([2 * pair, 2 * pair + 1])


def _rope_block(rows: np.ndarray, padded: int) -> np.ndarray:
    """The rope rows [rope_dim, d] of one projection, permuted (and zero-padded) to [padded, d]."""
    out = np.zeros((padded, rows.shape[1]), np.float32)
    out[rope_rows(len(rows), padded)] = rows
    return out


def attention_tensors(t: dict[str, np.ndarray], cfg: ModelConfig, w: Widths, src: str, dst: str) -> dict:
    """One layer's MLA projections under HF names, RoPE rows interleaved (and padded)."""
    h, nope, rope, r = cfg.n_heads, cfg.qk_nope_dim, cfg.qk_rope_dim, cfg.kv_lora_rank
    q = t[src + "wq.weight"].reshape(h, nope + rope, -1)
    q = np.concatenate([q[:, :nope], np.stack([_rope_block(q[i, nope:], w.rope) for i in range(h)])], axis=1)
    # the softmax scale is 1/sqrt(nope + rope): a wider padded head is compensated in the query
    q *= np.sqrt((nope + w.rope) / (nope + rope))
    kv_a = t[src + "wkv_a.weight"]
    # Padding the latent to w.latent divides its RMS by sqrt(w.latent/r); scaling the rows by that
    # factor (and the norm weight by its inverse) keeps the normed latent, eps included, unchanged.
    grow = np.sqrt(w.latent / r)
    latent = np.zeros((w.latent, kv_a.shape[1]), np.float32)
    latent[:r] = kv_a[:r] * grow
    norm = np.zeros(w.latent, np.float32)
    norm[:r] = t[src + "kv_norm.weight"] / grow
    kv_b = np.zeros((t[src + "wkv_b.weight"].shape[0], w.latent), np.float32)
    kv_b[:, :r] = t[src + "wkv_b.weight"]
    return {dst + "q_proj.weight": q.reshape(h * (nope + w.rope), -1),
            dst + "kv_a_proj_with_mqa.weight": np.concatenate([latent, _rope_block(kv_a[r:], w.rope)]),
            dst + "kv_a_layernorm.weight": norm, dst + "kv_b_proj.weight": kv_b,
            dst + "o_proj.weight": t[src + "wo.weight"]}


def moe_tensors(t: dict[str, np.ndarray], cfg: ModelConfig, src: str, dst: str) -> dict:
    """One layer's router and experts under HF names (one tensor per expert projection)."""
    out = {dst + "gate.weight": t[src + "router.weight"],
           dst + "gate.e_score_correction_bias": t[src + "router_bias"],
           dst + "shared_experts.gate_proj.weight": t[src + "shared.w1.weight"],
           dst + "shared_experts.up_proj.weight": t[src + "shared.w3.weight"],
           dst + "shared_experts.down_proj.weight": t[src + "shared.w2.weight"]}
    for e in range(cfg.n_routed_experts):
        for ours, theirs in (("w1", "gate_proj"), ("w3", "up_proj"), ("w2", "down_proj")):
            out[f"{dst}experts.{e}.{theirs}.weight"] = t[f"{src}experts.{ours}"][e]
    return out


def hf_tensors(tensors: dict[str, np.ndarray], cfg: ModelConfig, w: Widths) -> dict[str, np.ndarray]:
    """Every tensor of `DeepseekV3ForCausalLM`, float32 and contiguous."""
    t = {k: np.asarray(v, np.float32) for k, v in tensors.items()}
    out = {"model.embed_tokens.weight": t["embed.weight"], "model.norm.weight": t["norm.weight"],
           "lm_head.weight": t["lm_head.weight"]}
    for i in range(cfg.n_layers):
        src, dst = f"layers.{i}.", f"model.layers.{i}."
        out[dst + "input_layernorm.weight"] = t[src + "attn_norm.weight"]
        out[dst + "post_attention_layernorm.weight"] = t[src + "ffn_norm.weight"]
        out.update(attention_tensors(t, cfg, w, src + "attn.", dst + "self_attn."))
        out.update(moe_tensors(t, cfg, src + "moe.", dst + "mlp."))
    return {k: np.ascontiguousarray(v, np.float32) for k, v in out.items()}


def hf_config(cfg: ModelConfig, w: Widths) -> dict:
    """config.json of `DeepseekV3ForCausalLM` for this architecture (every MoE layer, no MTP)."""
    ids = {s: i for i, s in enumerate(SPECIALS)}
    return {
        "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3", "dtype": "float32",
        "vocab_size": cfg.vocab_size, "hidden_size": cfg.d_model, "num_hidden_layers": cfg.n_layers,
        "num_attention_heads": cfg.n_heads, "num_key_value_heads": cfg.n_heads,
        "q_lora_rank": None, "kv_lora_rank": w.latent, "qk_nope_head_dim": cfg.qk_nope_dim,
        "qk_rope_head_dim": w.rope, "v_head_dim": cfg.v_head_dim,
        "n_routed_experts": cfg.n_routed_experts, "n_shared_experts": cfg.n_shared_experts,
        "num_experts_per_tok": cfg.top_k, "moe_intermediate_size": cfg.expert_hidden,
        "intermediate_size": cfg.expert_hidden, "first_k_dense_replace": 0, "moe_layer_freq": 1,
        "scoring_func": "sigmoid", "topk_method": "noaux_tc", "norm_topk_prob": True,
        "routed_scaling_factor": cfg.routed_scaling, "n_group": 1, "topk_group": 1,
        "hidden_act": "silu", "rms_norm_eps": cfg.norm_eps, "max_position_embeddings": cfg.max_seq_len,
        "rope_theta": cfg.rope_theta,  # padded pairs keep their frequency by placement
        "rope_scaling": None, "rope_interleave": True, "attention_bias": False,
        "attention_dropout": 0.0, "tie_word_embeddings": False, "num_nextn_predict_layers": 0,
        "bos_token_id": ids["<bos>"], "eos_token_id": ids["<eos>"], "pad_token_id": ids["<pad>"],
        "use_cache": True,
    }


def tokenizer_files(weights: Path, cfg: ModelConfig) -> dict[str, dict]:
    """tokenizer.json (with a decoder that concatenates pieces), tokenizer_config.json, generation_config.json."""
    tokenizer = json.loads((weights / TOKENIZER_FILE).read_text(encoding="utf-8"))
    tokenizer["decoder"] = {"type": "Fuse"}  # without one, HF joins the pieces with spaces
    ids = {s: i for i, s in enumerate(SPECIALS)}
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<bos>", "eos_token": "<eos>",
        "pad_token": "<pad>", "unk_token": "<unk>", "add_bos_token": False, "add_eos_token": False,
        "clean_up_tokenization_spaces": False,  # would drop the spaces before "." and ","
        "model_max_length": cfg.max_seq_len, "chat_template": CHAT_TEMPLATE,
    }
    generation = {"bos_token_id": ids["<bos>"], "eos_token_id": ids["<eos>"], "pad_token_id": ids["<pad>"]}
    return {"tokenizer.json": tokenizer, "tokenizer_config.json": config, "generation_config.json": generation}


def export(out_dir: str | Path, weights: str | Path = DEFAULT_WEIGHTS_DIR, mla_pad: bool = False) -> Path:
    """Write the HF DeepSeek-V3 export of the checkpoint `weights` into `out_dir`; returns it."""
    weights, out = Path(weights), Path(out_dir)
    check_files(weights)
    cfg = read_config(weights)
    widths = Widths.of(cfg, mla_pad)
    out.mkdir(parents=True, exist_ok=True)
    save_file(hf_tensors(read_tensors(weights), cfg, widths), str(out / "model.safetensors"),
              metadata={"format": "pt"})
    files = {"config.json": hf_config(cfg, widths), **tokenizer_files(weights, cfg)}
    for name, content in files.items():
        (out / name).write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m moe.export", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", help="directory to write (created if missing)")
    parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS_DIR), help="checkpoint directory (default: moe-tiny)")
    parser.add_argument("--mla-pad", action="store_true",
                        help="pad the MLA latent/rope widths to 512/64 for vLLM's native MLA kernels")
    args = parser.parse_args(argv)
    try:
        out = export(args.out_dir, args.weights, args.mla_pad)
    except MoEInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {args.out_dir}: {exc}; give a writable directory", file=sys.stderr)
        return 2
    print(f"exported {args.weights} as {MODEL_NAME} (DeepseekV3ForCausalLM) to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
