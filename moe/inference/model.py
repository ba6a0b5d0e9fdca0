"""Numpy inference for the embedded MoE model (no torch at run time).

One `forward` call is one engine step: any mix of prefill chunks and one-token decodes.
Everything except attention runs batched over all tokens of all chunks; attention runs in
the compressed latent space (MLA with W_uk absorbed into the query), per sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from moe.checkpoint import DEFAULT_WEIGHTS_DIR, TOKENIZER_FILE, check_files, param_shapes, read_config
from moe.config import ModelConfig
from moe.errors import MoEInputError
from moe.inference import layers
from moe.inference.blas import single_blas_thread
from moe.inference.latent_cache import FLOAT_BYTES, LatentCache, SlotPool
from moe.inference.weights import AttentionWeights, ModelWeights, read_tensors, write_weights
from moe.tokenizer import Tokenizer

__all__ = ["MoEModel", "SeqChunk", "StepOutput"]


@dataclass
class SeqChunk:
    """New tokens of one sequence; their positions continue from len(cache)."""

    tokens: np.ndarray
    cache: LatentCache


@dataclass
class StepOutput:
    logits: np.ndarray
    """[len(chunks), vocab] float32: next-token logits after the last token of each chunk."""
    expert_counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    """[n_moe_layers, n_routed_experts]: tokens routed to each expert in this step."""


class MoEModel:
    """Decoder-only MoE transformer with multi-head latent attention, numpy float32."""

    def __init__(self, config: ModelConfig, tensors: dict[str, np.ndarray], tokenizer: Tokenizer):
        expected = param_shapes(config)
        wrong = {k: v.shape for k, v in tensors.items() if expected.get(k) != v.shape}
        missing = sorted(set(expected) - set(tensors))
        if wrong or missing:
            raise MoEInputError(f"weights do not match the config: missing {missing}, wrong shapes {wrong}")
        if tokenizer.vocab_size != config.vocab_size:
            raise MoEInputError(f"tokenizer has {tokenizer.vocab_size} tokens, config.vocab_size={config.vocab_size}")
        self.config = config
        self.tokenizer = tokenizer
        self.tensors = {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}
        """Every tensor under its checkpoint name, float32 (what `save` writes, the torch twin loads)."""
        self.weights = ModelWeights.from_tensors(self.tensors, config)
        self._cos, self._sin = layers.rope_tables(config)
        self._scale = 1.0 / np.sqrt(config.qk_nope_dim + config.qk_rope_dim)
        self._ones = np.ones(config.max_seq_len, dtype=np.float32)

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path = DEFAULT_WEIGHTS_DIR) -> "MoEModel":
        """The checkpoint in directory `path` (default: the shipped `moe-tiny` weights)."""
        path = Path(path)
        check_files(path)
        config = read_config(path)
        return cls(config, read_tensors(path), Tokenizer.load(path / TOKENIZER_FILE))

    @classmethod
    def random(cls, config: ModelConfig, seed: int = 0, tokenizer: Tokenizer | None = None) -> "MoEModel":
        """Untrained model with deterministic weights (for tests and engine development).

        Without a tokenizer it uses the shipped one, so config.vocab_size must match it.
        """
        rng = np.random.default_rng(seed)
        tensors = {}
        for name, shape in param_shapes(config).items():
            if name.endswith("norm.weight"):
                tensors[name] = np.ones(shape, dtype=np.float32)
            elif name.endswith("router_bias"):
                tensors[name] = np.zeros(shape, dtype=np.float32)
            else:
                tensors[name] = rng.normal(0.0, 0.02, size=shape).astype(np.float32)
        return cls(config, tensors, tokenizer or Tokenizer.load(DEFAULT_WEIGHTS_DIR / TOKENIZER_FILE))

    def save(self, path: str | Path, dtype: type = np.float16) -> None:
        """Write config.json, tokenizer.json and model.safetensors (weights stored as dtype)."""
        write_weights(path, self.config, self.tokenizer, self.tensors, dtype)

    # ---- inference ------------------------------------------------------------------------
    def forward(self, chunks: list[SeqChunk]) -> StepOutput:
        hidden, ends, counts = self._run(chunks)
        return StepOutput(logits=self._logits(hidden[ends - 1]), expert_counts=counts)

    def sequence_logits(self, tokens: np.ndarray) -> np.ndarray:
        """Logits [len(tokens), vocab] of every position of one fresh sequence (on one BLAS thread,
        like the engine, so they match its logits bit for bit)."""
        with single_blas_thread():
            hidden, _, _ = self._run([SeqChunk(np.asarray(tokens, dtype=np.int32), LatentCache(self.config))])
            return self._logits(hidden)

    def kv_bytes_per_token(self) -> int:
        return self.config.n_layers * self.config.cache_width * FLOAT_BYTES

    def mha_kv_bytes_per_token(self) -> int:
        """What ordinary multi-head attention would cache: per head a full key and value."""
        c = self.config
        per_head = c.qk_nope_dim + c.qk_rope_dim + c.v_head_dim
        return c.n_layers * c.n_heads * per_head * FLOAT_BYTES

    def _logits(self, hidden: np.ndarray) -> np.ndarray:
        normed = layers.rms_norm(hidden, self.weights.norm, self.config.norm_eps)
        return (normed @ self.weights.lm_head_t).astype(np.float32)

    def _validate(self, lengths: np.ndarray, starts: np.ndarray, tokens: np.ndarray) -> None:
        """Checks the step's chunks at once (vectorised: a decode step has one per sequence)."""
        if not lengths.all():
            raise MoEInputError(f"chunk {int(np.argmin(lengths))} has no tokens")
        too_long = np.flatnonzero(starts + lengths > self.config.max_seq_len)
        if len(too_long):
            i = int(too_long[0])
            raise MoEInputError(
                f"chunk {i}: {starts[i]} cached + {lengths[i]} new tokens exceed "
                f"max_seq_len={self.config.max_seq_len}; shorten the prompt or max_tokens")
        bad = np.flatnonzero((tokens < 0) | (tokens >= self.config.vocab_size))
        if len(bad):
            chunk = int(np.searchsorted(np.cumsum(lengths), bad[0], side="right"))
            raise MoEInputError(f"chunk {chunk}: token ids must lie in 0..{self.config.vocab_size - 1}")

    def _run(self, chunks: list[SeqChunk]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cfg = self.config
        if not chunks:
            raise MoEInputError("forward() needs at least one SeqChunk")
        lengths = np.array([len(c.tokens) for c in chunks], np.int64)
        starts = np.array([len(c.cache) for c in chunks], np.int64)
        tokens = np.concatenate([np.asarray(c.tokens) for c in chunks]).astype(np.int64)
        self._validate(lengths, starts, tokens)
        ends = np.cumsum(lengths)
        for chunk, n in zip(chunks, lengths.tolist()):
            chunk.cache.reserve(n)
        # position of token j of chunk i: starts[i] + j, for all chunks at once
        positions = np.arange(len(tokens)) + np.repeat(starts - (ends - lengths), lengths)
        rope = (self._cos[positions], self._sin[positions])
        plan = _DecodePlan.build(chunks, starts.tolist(), ends.tolist())
        x = self.weights.embed[tokens]
        counts = np.zeros((cfg.n_layers, cfg.n_routed_experts), dtype=np.int64)
        for li, layer in enumerate(self.weights.layers):
            h = layers.rms_norm(x, layer.attn_norm, cfg.norm_eps)
            x = x + self._attention(h, layer.attn, li, plan, rope)
            h = layers.rms_norm(x, layer.ffn_norm, cfg.norm_eps)
            y, counts[li] = layers.moe_ffn(h, layer.moe, cfg)
            x = x + y
        for chunk, n in zip(chunks, lengths.tolist()):
            chunk.cache.advance(n)
        return x, ends, counts

    def _attention(self, h: np.ndarray, w: AttentionWeights, li: int, plan: "_DecodePlan",
                   rope: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Layer li's attention output [n, d] for the step's normed hidden states h [n, d]."""
        q_cat, new_rows = self._project(h, w, rope)
        out_lat = self._attend(q_cat, new_rows, li, plan)
        heads = np.matmul(out_lat.transpose(1, 0, 2), w.w_uv_t)  # [H, n, v]
        return heads.transpose(1, 0, 2).reshape(len(h), -1) @ w.wo

    def _project(self, h: np.ndarray, w: AttentionWeights,
                 rope: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(scaled absorbed queries [n, H, r+rope], new cache rows [n, r+rope]) of the step's tokens."""
        cfg = self.config
        n, r, nope = h.shape[0], cfg.kv_lora_rank, cfg.qk_nope_dim
        cos, sin = rope
        q_width = cfg.n_heads * (nope + cfg.qk_rope_dim)
        projected = h @ w.wq_kv_a  # query and compressed KV in one matmul
        q = projected[:, :q_width].reshape(n, cfg.n_heads, nope + cfg.qk_rope_dim)
        q_pe = layers.apply_rope(q[..., nope:], cos[:, None], sin[:, None])
        q_lat = np.matmul(q[..., :nope].transpose(1, 0, 2), w.w_uk).transpose(1, 0, 2)
        q_cat = np.concatenate([q_lat, q_pe], axis=-1)
        kv = projected[:, q_width:]
        new_rows = np.concatenate(
            [layers.rms_norm(kv[:, :r], w.kv_norm, cfg.norm_eps), layers.apply_rope(kv[:, r:], cos, sin)],
            axis=-1)
        q_cat *= self._scale
        return q_cat, new_rows

    def _attend(self, q_cat: np.ndarray, new_rows: np.ndarray, li: int, plan: "_DecodePlan") -> np.ndarray:
        """Write the new rows into layer li of each cache and attend; the attended latent [n, H, r]."""
        cfg = self.config
        n, r = len(q_cat), cfg.kv_lora_rank
        out_lat = np.empty((n, cfg.n_heads, r), dtype=np.float32)
        if len(plan.rows):
            out_lat[plan.rows] = plan.attend(li, q_cat, new_rows, r)
        for cache, start, begin, end in plan.others:
            data = cache.layer(li)
            stop = start + end - begin
            data[start:stop] = new_rows[begin:end]
            if end - begin == 1:  # decode outside the pool
                q_t = q_cat[begin].T.copy()
                out_lat[begin] = layers.attend_one(q_t, data[:stop], r, self._ones).T
            else:
                out_lat[begin:end] = layers.attend_absorbed(q_cat[begin:end], data[:stop], r, start)
        return out_lat


MASKED = np.float32(-1e30)
"""Score bias of padding rows: exp(MASKED - max) is exactly 0, and no inf - inf = NaN arises."""


@dataclass
class _DecodePlan:
    """One step's decode tokens whose caches share a slot pool, attended as one batch.

    The batch is the slot range [lo, hi) padded to the longest context; slots in the range
    that do not decode this step get a zero query and their output is dropped.
    """

    pool: SlotPool | None
    rows: np.ndarray
    """Index of each pooled decode token in the step's batch."""
    slots: np.ndarray
    positions: np.ndarray
    """Position of each one's new token (its cache length before the step)."""
    bias: np.ndarray
    """[hi-lo, 1, padded length]: 0 on visible rows, MASKED on padding."""
    others: list[tuple[LatentCache, int, int, int]]
    """(cache, start, begin, end) of every other chunk: prefills and unpooled decodes."""
    dense: bool = False
    """The slots are lo, lo+1, ... in batch order: no padding slots, no reordering."""
    lo: int = 0
    """The lowest slot of the batch (its slot range starts there)."""

    @classmethod
    def build(cls, chunks: list[SeqChunk], starts: list[int], ends: list[int]) -> "_DecodePlan":
        pooled = [c.cache.pool for c in chunks if len(c.tokens) == 1 and c.cache.pool is not None]
        # One decode alone is cheaper through attend_one than through the batch bookkeeping.
        pool = pooled[0] if len(pooled) > 1 else None
        rows, slots, positions, others = [], [], [], []
        begin = 0
        for chunk, start, end in zip(chunks, starts, ends):
            if end - begin == 1 and pool is not None and chunk.cache.pool is pool:
                rows.append(begin)
                slots.append(chunk.cache.slot)
                positions.append(start)
            else:
                others.append((chunk.cache, start, begin, end))
            begin = end
        slots_arr, pos_arr = np.array(slots, np.int64), np.array(positions, np.int64)
        bias, lo = np.zeros((0, 1, 0), np.float32), 0
        if slots:
            lo, hi = int(slots_arr.min()), int(slots_arr.max()) + 1
            visible = np.zeros(hi - lo, np.int64)
            visible[slots_arr - lo] = pos_arr + 1
            span = np.arange(visible.max())
            bias = np.where(span[None, :] < visible[:, None], np.float32(0), MASKED)[:, None]
        dense = bool(slots) and bool((slots_arr == np.arange(slots_arr[0], slots_arr[0] + len(slots))).all())
        return cls(pool, np.array(rows, np.int64), slots_arr, pos_arr, bias.astype(np.float32), others, dense, lo)

    def attend(self, li: int, q: np.ndarray, new_rows: np.ndarray, r: int) -> np.ndarray:
        """Write the decode tokens' rows into layer li and attend; returns [len(rows), H, r]."""
        data = self.pool.data[li]
        data[self.slots, self.positions] = new_rows[self.rows]
        lo, batch, length = self.lo, self.bias.shape[0], self.bias.shape[2]
        if self.dense:  # slots lo, lo+1, ... in batch order: the common case, no scatter
            return layers.attend_batched(q[self.rows], data[lo : lo + batch, :length], r, self.bias)
        queries = np.zeros((batch, *q.shape[1:]), np.float32)
        queries[self.slots - lo] = q[self.rows]
        return layers.attend_batched(queries, data[lo : lo + batch, :length], r, self.bias)[self.slots - lo]
