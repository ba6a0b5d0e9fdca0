import numpy as np
import pytest

from moe.engine import EngineConfig, LLMEngine, RequestRejected, SamplingParams
from moe.engine.stats import EngineStats

from tests.moe.engine.conftest import SMALL, generate, prompt, run

LONG_TEXT = "Compute 12345 + 67890 step by step, then check the sum twice. " * 2


def test_max_tokens_ends_with_length_and_counts_tokens(model):
    res = generate(model, "hi", max_tokens=7, temperature=0.0, ignore_eos=True)
    assert res["finish"] == {0: "length"}
    assert res["final"].completion_tokens == 7
    assert res["final"].prompt_tokens == len(prompt(model, "hi"))


def test_stop_string_cuts_the_text_before_it(model):
    full = generate(model, "tell me", max_tokens=40, temperature=0.0, ignore_eos=True)["texts"][0]
    stop = full[12:15]
    cut = full.find(stop)
    res = generate(model, "tell me", max_tokens=40, temperature=0.0, ignore_eos=True, stop=(stop,))
    assert res["texts"][0] == full[:cut]
    assert res["finish"] == {0: "stop"}
    ids = res["ids"][0]  # generation ended with the token that completed the stop string
    decode = model.tokenizer.decode
    assert stop in decode(ids) and stop not in decode(ids[:-1])
    assert res["final"].completion_tokens == len(ids)


def test_n_choices_share_one_prefill(model):
    engine = LLMEngine(model, EngineConfig())
    ids = prompt(model, LONG_TEXT)
    res = run(engine, [engine.make_request(ids, SamplingParams(n=4, max_tokens=12, seed=1, ignore_eos=True))])
    (only,) = res.values()
    assert engine.stats.prefill_tokens_computed == len(ids)
    assert sorted(only["texts"]) == [0, 1, 2, 3]
    assert len(set(only["texts"].values())) == 4
    assert only["final"].completion_tokens == 48


def test_same_seed_same_text_alone_or_in_a_batch_of_16(model):
    """Each choice draws from its own generator, so batch composition cannot shift its draws.

    Logits move by ~1e-6 with batch composition (float32 sums in a different order); a sampled
    token flips only if its uniform draw lands that close to a CDF boundary (odds ~1e-5 per token).
    """
    params = dict(max_tokens=30, temperature=1.0, seed=1234, ignore_eos=True)
    alone = generate(model, "what is 2+2?", **params)["texts"][0]
    engine = LLMEngine(model, EngineConfig())
    target = engine.make_request(prompt(model, "what is 2+2?"), SamplingParams(**params))
    others = [
        engine.make_request(prompt(model, f"other prompt {i} " * (i % 4 + 1)),
                            SamplingParams(max_tokens=25 + i, seed=i, ignore_eos=True))
        for i in range(15)
    ]
    res = run(engine, others[:7] + [target] + others[7:])
    assert res[target.request_id]["texts"][0] == alone
    assert generate(model, "what is 2+2?", **{**params, "seed": 99})["texts"][0] != alone


def test_prefix_cache_hits_later_requests_and_defers_twins(model):
    engine = LLMEngine(model, EngineConfig(block_size=16))
    ids = prompt(model, LONG_TEXT)
    twins = [engine.make_request(ids, SamplingParams(max_tokens=3)) for _ in range(3)]
    res = run(engine, twins)
    cached = [res[r.request_id]["final"].cached_tokens for r in twins]
    full_blocks = min(len(ids) // 16 * 16, len(ids) - 1)  # the last token is always recomputed
    assert cached == [0, full_blocks, full_blocks]
    assert engine.stats.prefix_cache_hits == 2 * full_blocks
    assert engine.stats.prefill_tokens_computed == 3 * len(ids) - 2 * full_blocks
    longer = ids + model.tokenizer.encode(" and more")
    later = engine.make_request(longer, SamplingParams(max_tokens=2))
    assert run(engine, [later])[later.request_id]["final"].cached_tokens == len(ids) // 16 * 16


def test_a_short_request_finishes_while_a_long_one_decodes(model):
    engine = LLMEngine(model, EngineConfig())
    long = engine.make_request(prompt(model, "long"), SamplingParams(max_tokens=80, ignore_eos=True))
    engine.add(long)
    for _ in range(5):
        engine.step()
    short = engine.make_request(prompt(model, "short"), SamplingParams(max_tokens=3, ignore_eos=True))
    engine.add(short)
    finished = []
    while engine.has_work():
        finished += [o.request_id for o in engine.step() if o.finished]
        if finished == [short.request_id]:
            assert engine.num_running == 1  # the long one is still decoding
    assert finished == [short.request_id, long.request_id]


def test_admission_waits_for_free_sequence_slots(model):
    engine = LLMEngine(model, EngineConfig(max_num_seqs=2))
    reqs = [engine.make_request(prompt(model, "x"), SamplingParams(max_tokens=4)) for _ in range(4)]
    for r in reqs:
        engine.add(r)
    engine.step()
    assert (engine.num_running, engine.num_waiting) == (2, 2)
    while engine.has_work():
        engine.step()
    assert engine.stats.requests_finished.get("length", 0) + engine.stats.requests_finished.get("stop", 0) == 4


def test_abort_frees_the_slot_and_its_blocks(model):
    engine = LLMEngine(model, EngineConfig())
    r = engine.make_request(prompt(model, LONG_TEXT), SamplingParams(max_tokens=100, n=2))
    engine.add(r)
    engine.step()
    per_choice = -(-min(r.num_prompt_tokens + 100, engine.max_model_len) // engine.blocks.block_size)
    assert engine.num_running == 1 and engine.blocks.reserved_blocks == 2 * per_choice
    engine.abort(r.request_id)
    assert engine.num_running == 0 and engine.blocks.reserved_blocks == 0
    assert not engine.has_work() and engine.stats.requests_finished == {"abort": 1}


def test_requests_that_can_never_fit_are_rejected_up_front(model):
    engine = LLMEngine(model, EngineConfig(num_blocks=8, block_size=16))
    with pytest.raises(RequestRejected, match="maximum context length") as exc:
        engine.make_request(list(range(7, 7 + SMALL.max_seq_len)), SamplingParams())
    assert exc.value.param == "messages"
    with pytest.raises(RequestRejected, match="max_tokens") as exc:
        engine.make_request([1, 2], SamplingParams(max_tokens=SMALL.max_seq_len + 1))
    assert exc.value.param == "max_tokens"
    with pytest.raises(RequestRejected, match="KV cache"):
        engine.make_request([1, 2], SamplingParams(max_tokens=100, n=2))


def test_generation_stops_at_the_context_end(model):
    engine = LLMEngine(model, EngineConfig())
    ids = [model.tokenizer.bos_id] + [10] * (SMALL.max_seq_len - 6)
    res = run(engine, [engine.make_request(ids, SamplingParams(ignore_eos=True))])
    (only,) = res.values()
    assert only["finish"] == {0: "length"} and only["final"].completion_tokens == 5


class FailOnToken:
    """Fault injection: the wrapped model raises whenever a chunk contains `poison`."""

    def __init__(self, model, poison: int):
        self._model, self.poison = model, poison
        self.config, self.tokenizer = model.config, model.tokenizer

    def kv_bytes_per_token(self):
        return self._model.kv_bytes_per_token()

    def forward(self, chunks):
        if any(self.poison in np.asarray(c.tokens) for c in chunks):
            raise RuntimeError("injected fault")
        return self._model.forward(chunks)


def test_a_failing_request_fails_alone(model):
    poison = model.tokenizer.encode("~")[0]
    engine = LLMEngine(FailOnToken(model, poison), EngineConfig())
    good = [engine.make_request(prompt(model, f"fine {i}"), SamplingParams(max_tokens=5, temperature=0.0)) for i in range(3)]
    bad = engine.make_request(prompt(model, "bad ~"), SamplingParams(max_tokens=5))
    res = run(engine, good[:2] + [bad] + good[2:])
    assert "injected fault" in res[bad.request_id]["final"].error
    for r in good:
        assert res[r.request_id]["final"].error is None
        alone = generate(model, f"fine {good.index(r)}", max_tokens=5, temperature=0.0)
        assert res[r.request_id]["ids"] == alone["ids"]  # unaffected by the failing neighbour
        assert res[r.request_id]["final"].completion_tokens == len(alone["ids"][0])
    assert engine.stats.requests_finished["error"] == 1
    assert engine.blocks.reserved_blocks == 0 and engine.num_running == 0


def test_stats_count_tokens_and_experts(model):
    engine = LLMEngine(model, EngineConfig())
    res = generate(model, "count me", engine=engine, max_tokens=6, ignore_eos=True)
    s: EngineStats = engine.stats
    n_prompt = res["final"].prompt_tokens
    assert (s.prompt_tokens, s.generation_tokens) == (n_prompt, 6)
    # every token (prompt and fed-back output) is routed to top_k experts in every layer
    fed = n_prompt + 5
    assert s.expert_tokens.shape == (SMALL.n_layers, SMALL.n_routed_experts)
    assert (s.expert_tokens.sum(axis=1) == fed * SMALL.top_k).all()
    assert s.ttft.count == 1 and s.inter_token.count == 5


def test_config_refuses_a_token_budget_that_decode_alone_fills():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="max_num_batched_tokens"):
        EngineConfig(max_num_seqs=64, max_num_batched_tokens=64)
    with pytest.raises(ValidationError, match="extra"):
        EngineConfig(block_sz=8)


def test_requests_sent_together_share_their_common_prefix(model):
    """Same instruction, different tails (RSA's aggregation prompts): the later ones wait for
    the first one's blocks instead of computing the shared prefix in the same step."""
    engine = LLMEngine(model, EngineConfig(block_size=8))
    ids = [prompt(model, LONG_TEXT + tail) for tail in (" Solution A: 1", " Solution B: 22", " C")]
    common = next(i for i, t in enumerate(zip(*ids)) if len(set(t)) > 1)
    requests = [engine.make_request(p, SamplingParams(max_tokens=2)) for p in ids]
    res = run(engine, requests)
    cached = [res[r.request_id]["final"].cached_tokens for r in requests]
    assert cached == [0, common // 8 * 8, common // 8 * 8]
    assert engine.stats.prefill_tokens_computed == sum(map(len, ids)) - sum(cached)


def test_decode_caches_live_in_the_slot_pool_and_go_back_when_done(model):
    engine = LLMEngine(model, EngineConfig(max_num_seqs=4))
    free = engine.slots.num_free
    requests = [engine.make_request(prompt(model, f"q{i}"), SamplingParams(max_tokens=5, n=2, seed=i))
                for i in range(2)]
    for r in requests:
        engine.add(r)
    while not all(c.cache is not None for r in requests for c in r.choices):
        engine.step()
    caches = [c.cache for r in requests for c in r.choices]
    assert all(c.pool is engine.slots for c in caches)
    assert len({c.slot for c in caches}) == 4 and engine.slots.num_free == free - 4
    del caches
    while engine.has_work():
        engine.step()
    assert engine.slots.num_free == free
