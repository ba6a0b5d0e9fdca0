"""Numpy building blocks of the MoE transformer: norms, RoPE, MLA attention, routed experts.

They take weights as `moe.inference.weights` lays them out: transposed to [in, out], so that
every projection is a plain `x @ W`.
"""

from __future__ import annotations

import numpy as np

from moe.config import ModelConfig
from moe.inference.weights import MoEWeights


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    mean_sq = np.einsum("...i,...i->...", x, x)[..., None]  # einsum: no np.mean wrapper cost
    mean_sq *= 1.0 / x.shape[-1]
    mean_sq += eps
    return (x / np.sqrt(mean_sq)) * weight


def rope_tables(cfg: ModelConfig) -> tuple[np.ndarray, np.ndarray]:
    """cos/sin [max_seq_len, qk_rope_dim/2] for the half-split rotation."""
    half = cfg.qk_rope_dim // 2
    inv_freq = 1.0 / (cfg.rope_theta ** (np.arange(half, dtype=np.float64) * 2 / cfg.qk_rope_dim))
    angles = np.outer(np.arange(cfg.max_seq_len, dtype=np.float64), inv_freq)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def apply_rope(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotate the last axis of x [..., T, (heads,) rope_dim]; cos/sin are [T, 1 or none, half]."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return np.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)


def softmax_rows(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    return scores


def silu(x: np.ndarray) -> np.ndarray:
    return x / (1.0 + np.exp(-x))


def route(x: np.ndarray, router_t: np.ndarray, bias: np.ndarray, cfg: ModelConfig):
    """Top-k experts per token: chosen by sigmoid score + bias, weighted by normalised scores.

    Returns (selected [T, k] expert ids, gates [T, k]).
    """
    scores = x @ router_t  # sigmoid in place: this runs once per layer and step
    np.negative(scores, out=scores)
    np.exp(scores, out=scores)
    scores += 1.0
    np.reciprocal(scores, out=scores)
    k = cfg.top_k
    selected = np.argpartition(-(scores + bias), k - 1, axis=-1)[:, :k]
    gates = scores[np.arange(len(x))[:, None], selected]
    gates *= cfg.routed_scaling / gates.sum(axis=-1, keepdims=True)
    return selected, gates.astype(np.float32, copy=False)


def swiglu(x: np.ndarray, w13_t: np.ndarray, w2_t: np.ndarray) -> np.ndarray:
    """w13_t is [d, 2h]: the gate (w1) and up (w3) projections side by side, one matmul."""
    return gated(x @ w13_t) @ w2_t


def gated(gate_up: np.ndarray) -> np.ndarray:
    """silu(gate) * up for gate_up [T, 2h], in place on a fresh array (4 numpy calls)."""
    hidden = gate_up.shape[-1] // 2
    gate = gate_up[:, :hidden]
    out = np.negative(gate)
    np.exp(out, out=out)
    out += 1.0
    np.divide(gate, out, out=out)
    out *= gate_up[:, hidden:]
    return out


def moe_ffn(x: np.ndarray, w: MoEWeights, cfg: ModelConfig) -> tuple[np.ndarray, np.ndarray]:
    """Shared expert on every token plus top-k routed experts, each run only on its tokens.

    The (token, slot) pairs are sorted by expert so that each expert's matmuls write one slice
    of a shared buffer and the activation, gating and un-sorting run once for all experts.
    Returns (output [T, d], tokens per routed expert [E]).
    """
    out = swiglu(x, w.shared.w13, w.shared.w2)
    selected, gates = route(x, w.router, w.router_bias, cfg)
    flat = selected.ravel()
    order = np.argsort(flat, kind="stable")  # (token, slot) pairs grouped by expert
    counts = np.bincount(flat, minlength=cfg.n_routed_experts)
    bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
    busy = [(e, bounds[e], bounds[e + 1]) for e in np.flatnonzero(counts).tolist()]
    xs = x[order // cfg.top_k]  # a token picks an expert at most once
    w13, w2 = w.routed.w13, w.routed.w2
    gate_up = np.empty((len(flat), w13.shape[2]), np.float32)
    for e, lo, hi in busy:
        np.matmul(xs[lo:hi], w13[e], out=gate_up[lo:hi])
    hidden = gated(gate_up)
    ys = np.empty_like(xs)
    for e, lo, hi in busy:
        np.matmul(hidden[lo:hi], w2[e], out=ys[lo:hi])
    ys *= gates.ravel()[order][:, None]
    per_slot = np.empty_like(ys)
    per_slot[order] = ys
    out += per_slot.reshape(len(x), cfg.top_k, -1).sum(axis=1)
    return out, counts


def attend_absorbed(q_cat: np.ndarray, rows: np.ndarray, r: int, q_start: int) -> np.ndarray:
    """Latent-space attention for one sequence.

    q_cat [t, H, r+rope] is the (pre-scaled) query with W_uk absorbed into its latent part and
    the rotated rope part; rows [S, r+rope] are the cached [latent | rope key] rows. Query i
    sits at position q_start+i and sees rows 0..q_start+i. Returns the attended latent [t, H, r].
    """
    t, n_heads, width = q_cat.shape
    scores = q_cat.reshape(t * n_heads, width) @ rows.T
    scores = scores.reshape(t, n_heads, rows.shape[0])
    if t > 1:
        visible = np.arange(rows.shape[0])[None, :] <= (q_start + np.arange(t))[:, None]
        scores = np.where(visible[:, None, :], scores, -np.inf)
    probs = softmax_rows(scores)
    return (probs.reshape(t * n_heads, -1) @ rows[:, :r]).reshape(t, n_heads, r)


def attend_one(q_t: np.ndarray, rows: np.ndarray, r: int, ones: np.ndarray) -> np.ndarray:
    """`attend_absorbed` for one query that sees every row; q_t is [r+rope, H], returns [r, H].

    Laid out as rows @ q_t (tall-skinny) and reduced with BLAS (ones @ scores) and one global
    max, because column-wise numpy reductions over a [S, H] array cost more than the matmuls.
    `ones` is a float32 vector of at least len(rows) ones.
    """
    scores = rows @ q_t
    scores -= scores.max()
    np.exp(scores, out=scores)
    denom = ones[: rows.shape[0]] @ scores
    if not denom.all():  # a head far below the global max underflowed: use per-head maxima
        scores = rows @ q_t
        scores = np.exp(scores - scores.max(axis=0))
        denom = scores.sum(axis=0)
    return (rows[:, :r].T @ scores) / denom


def attend_naive(q: np.ndarray, rows: np.ndarray, wkv_b: np.ndarray, cfg: ModelConfig,
                 q_start: int, scale: float) -> np.ndarray:
    """Reference MLA: rebuild per-head keys/values from the latent, then ordinary attention.

    q [t, H, nope+rope] (rope part rotated). Returns per-head values [t, H, v].
    """
    r, nope = cfg.kv_lora_rank, cfg.qk_nope_dim
    kv = (rows[:, :r] @ wkv_b.T).reshape(rows.shape[0], cfg.n_heads, nope + cfg.v_head_dim)
    k_pe = np.broadcast_to(rows[:, None, r:], (rows.shape[0], cfg.n_heads, cfg.qk_rope_dim))
    keys = np.concatenate([kv[..., :nope], k_pe], axis=-1)
    scores = np.einsum("thd,shd->hts", q, keys) * scale
    t = q.shape[0]
    visible = np.arange(rows.shape[0])[None, :] <= (q_start + np.arange(t))[:, None]
    probs = softmax_rows(np.where(visible[None], scores, -np.inf))
    return np.einsum("hts,shv->thv", probs, kv[..., nope:])


def attend_batched(q: np.ndarray, keys: np.ndarray, r: int, bias: np.ndarray) -> np.ndarray:
    """`attend_absorbed` for a batch of one-token decodes padded to one length, as batched matmuls.

    q [B, H, r+rope] pre-scaled absorbed queries; keys [B, L, r+rope] cache rows (a strided
    view of a slot pool); bias [B, 1, L] is 0 on each sequence's rows and a large negative
    number on padding. Returns the attended latent [B, H, r]. Scores are laid out [B, H, L] so
    that every element-wise pass and reduction runs along the long, contiguous key axis.
    """
    scores = np.matmul(q, keys.transpose(0, 2, 1))
    scores += bias
    scores -= scores.max(axis=2, keepdims=True)
    np.exp(scores, out=scores)
    denom = scores.sum(axis=2, keepdims=True)
    out = np.matmul(scores, keys[..., :r])
    out /= denom
    return out
