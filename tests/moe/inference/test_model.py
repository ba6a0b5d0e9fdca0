import numpy as np
import pytest

from moe.errors import MoEInputError
from moe.inference import LatentCache, MoEModel, SeqChunk, SlotPool, layers
from moe.inference.weights import ExpertWeights, MoEWeights, absorb_weights


def tokens(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(7, 300, size=n).astype(np.int32)


def test_incremental_decode_matches_full_forward(small_model):
    seq = tokens(40)
    full = small_model.sequence_logits(seq)
    cache = LatentCache(small_model.config)
    out = small_model.forward([SeqChunk(seq[:17], cache)])
    np.testing.assert_allclose(out.logits[0], full[16], atol=1e-5)
    for i in range(17, 40):
        out = small_model.forward([SeqChunk(seq[i : i + 1], cache)])
        np.testing.assert_allclose(out.logits[0], full[i], atol=1e-5)
    assert len(cache) == 40


def test_mixed_batch_equals_sequences_run_alone(small_model):
    cfg = small_model.config
    prompts = [tokens(n, seed) for seed, n in enumerate((5, 23, 1, 12))]
    alone = [small_model.sequence_logits(p)[-1] for p in prompts]
    # two of the sequences already have a cached prefix, so they decode one token in the batch
    caches = [LatentCache(cfg) for _ in prompts]
    small_model.forward([SeqChunk(prompts[1][:-1], caches[1]), SeqChunk(prompts[3][:-1], caches[3])])
    chunks = [SeqChunk(prompts[0], caches[0]), SeqChunk(prompts[1][-1:], caches[1]),
              SeqChunk(prompts[2], caches[2]), SeqChunk(prompts[3][-1:], caches[3])]
    out = small_model.forward(chunks)
    np.testing.assert_allclose(out.logits, np.stack(alone), atol=1e-5)
    assert [len(c) for c in caches] == [5, 23, 1, 12]


def test_expert_counts_cover_every_token_top_k_times(small_model):
    cfg = small_model.config
    out = small_model.forward([SeqChunk(tokens(9), LatentCache(cfg)), SeqChunk(tokens(4, 1), LatentCache(cfg))])
    assert out.expert_counts.shape == (cfg.n_layers, cfg.n_routed_experts)
    assert (out.expert_counts.sum(axis=1) == 13 * cfg.top_k).all()


def test_cache_rows_round_trip_and_truncate(small_model):
    cfg = small_model.config
    seq = tokens(30)
    cache = LatentCache(cfg)
    small_model.forward([SeqChunk(seq[:20], cache)])
    rows = cache.rows(0, 16)
    assert rows.shape == (cfg.n_layers, 16, cfg.kv_lora_rank + cfg.qk_rope_dim)
    assert cache.nbytes() == 20 * small_model.kv_bytes_per_token()
    # a prefix-cache hit: rebuild from stored rows, continue, and get the full-forward logits
    restored = LatentCache.from_rows(cfg, rows)
    out = small_model.forward([SeqChunk(seq[16:30], restored)])
    np.testing.assert_allclose(out.logits[0], small_model.sequence_logits(seq)[-1], atol=1e-5)
    cache.truncate(10)
    assert len(cache) == 10
    out = small_model.forward([SeqChunk(seq[10:12], cache)])
    np.testing.assert_allclose(out.logits[0], small_model.sequence_logits(seq[:12])[-1], atol=1e-5)
    with pytest.raises(ValueError):
        cache.truncate(13)


def test_mla_cache_is_smaller_than_mha(small_model):
    cfg = small_model.config
    assert small_model.kv_bytes_per_token() == cfg.n_layers * (cfg.kv_lora_rank + cfg.qk_rope_dim) * 4
    assert small_model.mha_kv_bytes_per_token() > 2 * small_model.kv_bytes_per_token()


def test_absorbed_attention_equals_naive(small_config):
    cfg = small_config
    rng = np.random.default_rng(0)
    s, t, start = 11, 4, 7
    rows = rng.normal(size=(s, cfg.kv_lora_rank + cfg.qk_rope_dim)).astype(np.float32)
    wkv_b = rng.normal(size=(cfg.n_heads * (cfg.qk_nope_dim + cfg.v_head_dim), cfg.kv_lora_rank)).astype(np.float32)
    q = rng.normal(size=(t, cfg.n_heads, cfg.qk_nope_dim + cfg.qk_rope_dim)).astype(np.float32)
    scale = 0.3
    naive = layers.attend_naive(q, rows, wkv_b, cfg, start, scale)
    w_uk, w_uv = absorb_weights(wkv_b, cfg)
    q_lat = np.einsum("thn,hnr->thr", q[..., : cfg.qk_nope_dim], w_uk)
    q_cat = np.concatenate([q_lat, q[..., cfg.qk_nope_dim:]], axis=-1) * scale
    latent = layers.attend_absorbed(q_cat, rows, cfg.kv_lora_rank, start)
    absorbed = np.einsum("thr,hvr->thv", latent, w_uv)
    np.testing.assert_allclose(absorbed, naive, atol=1e-5)
    # the one-query decode path agrees for the last query (which sees every row)
    one = layers.attend_one(q_cat[-1].T.copy(), rows, cfg.kv_lora_rank, np.ones(s, np.float32))
    np.testing.assert_allclose(one.T, latent[-1], atol=1e-5)


def test_decode_attention_survives_scores_far_apart():
    rows = np.zeros((3, 6), np.float32)
    rows[:, 4:] = [[1, 0], [0, 1], [0, 0]]
    rows[:, :4] = np.arange(12).reshape(3, 4)
    q_t = np.zeros((6, 2), np.float32)
    q_t[4, 0] = 500.0  # head 0 scores {500, 0, 0}; head 1 all zeros: far below the global max
    out = layers.attend_one(q_t, rows, 4, np.ones(3, np.float32))
    np.testing.assert_allclose(out[:, 0], rows[0, :4], atol=1e-5)
    np.testing.assert_allclose(out[:, 1], rows[:, :4].mean(axis=0), atol=1e-5)


def test_router_selects_by_biased_score_and_weights_by_unbiased(small_config):
    cfg = small_config
    x = np.eye(cfg.n_routed_experts, cfg.d_model, dtype=np.float32)[:1]  # one token
    router_t = np.zeros((cfg.d_model, cfg.n_routed_experts), np.float32)
    router_t[0] = [3.0, 2.0, 1.0, 0.0, -1.0, -2.0, -3.0, -4.0]
    bias = np.zeros(cfg.n_routed_experts, np.float32)
    selected, gates = layers.route(x, router_t, bias, cfg)
    assert set(selected[0]) == {0, 1}
    bias[5] = 10.0  # the bias alone moves expert 5 into the top-k ...
    selected, gates = layers.route(x, router_t, bias, cfg)
    assert set(selected[0]) == {0, 5}
    sig = 1 / (1 + np.exp(-np.array([3.0, -2.0])))  # ... but its gate uses the unbiased score
    np.testing.assert_allclose(sorted(gates[0]), sorted(sig / sig.sum()), rtol=1e-6)


def test_experts_run_only_on_routed_tokens(small_config):
    cfg = small_config
    d, h, n_exp = cfg.d_model, cfg.expert_hidden, cfg.n_routed_experts
    rng = np.random.default_rng(1)
    p = {name: rng.normal(size=shape).astype(np.float32) for name, shape in {
        "shared_w13": (d, 2 * h), "shared_w2": (h, d), "router": (d, n_exp),
        "w13": (n_exp, d, 2 * h), "w2": (n_exp, h, d)}.items()}
    p["router_bias"] = np.zeros(n_exp, np.float32)
    weights = MoEWeights(router=p["router"], router_bias=p["router_bias"],
                         routed=ExpertWeights(p["w13"], p["w2"]), shared=ExpertWeights(p["shared_w13"], p["shared_w2"]))
    x = rng.normal(size=(6, d)).astype(np.float32)
    out, counts = layers.moe_ffn(x, weights, cfg)

    def expert(v, w13, w2):  # SwiGLU written out: silu(v @ w1) * (v @ w3) @ w2
        return (layers.silu(v @ w13[:, :h]) * (v @ w13[:, h:])) @ w2

    selected, gates = layers.route(x, p["router"], p["router_bias"], cfg)
    dense = expert(x, p["shared_w13"], p["shared_w2"])
    for n in range(6):
        for slot, e in enumerate(selected[n]):
            dense[n] += gates[n, slot] * expert(x[n], p["w13"][e], p["w2"][e])
    np.testing.assert_allclose(out, dense, rtol=1e-4, atol=1e-4)
    assert counts.sum() == 6 * cfg.top_k
    assert (counts == np.bincount(selected.ravel(), minlength=n_exp)).all()


def test_forward_rejects_bad_chunks(small_model):
    cfg = small_model.config
    with pytest.raises(MoEInputError, match="exceed max_seq_len=96"):
        small_model.forward([SeqChunk(tokens(97), LatentCache(cfg))])
    with pytest.raises(MoEInputError, match=f"token ids must lie in 0..{cfg.vocab_size - 1}"):
        small_model.forward([SeqChunk(np.array([cfg.vocab_size], np.int32), LatentCache(cfg))])
    with pytest.raises(MoEInputError, match="no tokens"):
        small_model.forward([SeqChunk(np.array([], np.int32), LatentCache(cfg))])
    good = [SeqChunk(tokens(n, seed), LatentCache(cfg)) for seed, n in enumerate((3, 5))]
    with pytest.raises(MoEInputError, match="^chunk 2: token ids"):  # the error names the chunk
        small_model.forward([*good, SeqChunk(np.array([1, -1], np.int32), LatentCache(cfg))])
    with pytest.raises(MoEInputError, match="^chunk 1 has no tokens"):
        small_model.forward([good[0], SeqChunk(np.array([], np.int32), LatentCache(cfg))])
    with pytest.raises(MoEInputError, match="forward\\(\\) needs at least one"):
        small_model.forward([])


def test_save_load_round_trip(small_model, tmp_path):
    small_model.save(tmp_path, dtype=np.float32)
    again = MoEModel.load(tmp_path)
    assert again.config == small_model.config
    seq = tokens(12)
    np.testing.assert_array_equal(again.sequence_logits(seq), small_model.sequence_logits(seq))


def test_load_missing_directory_is_an_input_error(tmp_path):
    with pytest.raises(MoEInputError, match="lacks"):
        MoEModel.load(tmp_path)


def test_batched_decode_attention_equals_per_sequence():
    rng = np.random.default_rng(1)
    r, width, heads, lengths = 12, 20, 3, [5, 17, 1, 9]
    pool = rng.normal(size=(len(lengths), max(lengths) + 3, width)).astype(np.float32)
    queries = rng.normal(size=(len(lengths), heads, width)).astype(np.float32)
    span = np.arange(max(lengths))
    bias = np.where(span[None, :] < np.array(lengths)[:, None], 0.0, -1e30).astype(np.float32)[:, None]
    out = layers.attend_batched(queries, pool[:, : max(lengths)], r, bias)
    for i, n in enumerate(lengths):
        one = layers.attend_one(queries[i].T.copy(), pool[i, :n], r, np.ones(n, np.float32))
        np.testing.assert_allclose(out[i], one.T, atol=1e-5)


def test_pooled_decode_batch_equals_sequences_run_alone(small_model):
    """Decodes in a slot pool (with an idle slot between them) attend as one padded batch."""
    cfg = small_model.config
    pool = SlotPool(cfg, 6)
    prompts = [tokens(n, seed) for seed, n in enumerate((7, 30, 12))]
    alone = [small_model.sequence_logits(p)[-1] for p in prompts]
    caches = [LatentCache(cfg, pool=pool) for _ in range(4)]
    del caches[1]  # frees slot 1: the batch spans slots 0..3 with a gap
    small_model.forward([SeqChunk(p[:-1], c) for p, c in zip(prompts, caches)])
    assert [c.slot for c in caches] == [0, 2, 3]
    out = small_model.forward([SeqChunk(p[-1:], c) for p, c in zip(prompts, caches)])
    np.testing.assert_allclose(out.logits, np.stack(alone), atol=1e-5)
    np.testing.assert_allclose(pool.data[:, 1], 0.0)  # a freed slot is zeroed
