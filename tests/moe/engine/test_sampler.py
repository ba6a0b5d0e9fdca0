import numpy as np
import pytest

from moe.engine.detokenizer import TextTracker
from moe.engine.sampler import choice_rng, sample_token


def test_greedy_and_tiny_top_p_pick_the_argmax():
    logits = np.array([0.1, 2.0, 1.9, -1.0], np.float32)
    rng = choice_rng(0, 0)
    assert sample_token(logits, 0.0, 1.0, rng) == 1
    assert {sample_token(logits, 1.0, 1e-6, rng) for _ in range(50)} == {1}


def test_sampling_follows_the_softmax_and_top_p_cuts_the_tail():
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    rng = choice_rng(7, 0)
    draws = np.array([sample_token(logits, 1.0, 1.0, rng) for _ in range(4000)])
    freq = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(freq, [0.5, 0.3, 0.15, 0.05], atol=0.03)
    nucleus = np.array([sample_token(logits, 1.0, 0.75, rng) for _ in range(2000)])
    assert set(nucleus.tolist()) == {0, 1}
    assert abs(np.mean(nucleus == 0) - 0.5 / 0.8) < 0.04


def test_sampling_across_blocks_of_a_vocabulary_that_is_no_whole_number_of_blocks():
    # 70 tokens = two whole blocks of 32 plus a padded third; mass in each of them
    logits = np.full(70, -30.0, np.float32)
    logits[[5, 40, 69]] = np.log([0.2, 0.3, 0.5])
    rng = choice_rng(11, 0)
    draws = np.array([sample_token(logits, 0.5, 1.0, rng) for _ in range(4000)])
    assert set(draws.tolist()) == {5, 40, 69}
    expected = np.array([0.2, 0.3, 0.5]) ** 2 / (np.array([0.2, 0.3, 0.5]) ** 2).sum()  # t = 0.5
    np.testing.assert_allclose([np.mean(draws == t) for t in (5, 40, 69)], expected, atol=0.03)


def test_seeded_generators_repeat_and_differ_per_choice():
    logits = np.zeros(50)
    seq = lambda seed, i: [sample_token(logits, 1.0, 1.0, r) for r in [choice_rng(seed, i)] for _ in range(20)]
    assert seq(3, 0) == seq(3, 0)
    assert seq(3, 0) != seq(3, 1)
    assert seq(3, 0) != seq(4, 0)


class CharDecoder:
    def decode(self, ids):
        return "".join(chr(i) for i in ids)


class PieceCharDecoder(CharDecoder):
    """The same text through the PieceDecoder fast path."""

    def token_text(self, token_id):
        return chr(token_id)


both_decoders = pytest.mark.parametrize("decoder", [CharDecoder(), PieceCharDecoder()], ids=["window", "piece"])


@both_decoders
def test_stop_string_split_across_tokens_is_held_back_and_cut(decoder):
    tracker = TextTracker(decoder, stop=("END",))
    emitted = ""
    for ch in "abcEN":
        tracker.add(ord(ch))
        emitted += tracker.delta(final=False)
    assert emitted == "abc" and not tracker.stopped  # "EN" may still become "END"
    tracker.add(ord("D"))
    assert tracker.stopped
    assert emitted + tracker.delta(final=True) == "abc"


@both_decoders
def test_text_resumes_when_a_held_tail_does_not_become_a_stop(decoder):
    tracker = TextTracker(decoder, stop=("END",))
    for ch in "xENx":
        tracker.add(ord(ch))
    assert tracker.delta(final=False) == "xE" and not tracker.stopped
    assert tracker.delta(final=True) == "Nx"


def test_batch_sampling_gives_each_row_what_it_would_get_alone():
    from moe.engine.sampler import SamplingParams, sample_batch

    logits = np.random.default_rng(0).normal(size=(6, 40)).astype(np.float32)
    params = [SamplingParams(temperature=t, top_p=p, seed=i)
              for i, (t, p) in enumerate([(1.0, 1.0), (0.0, 1.0), (0.7, 0.9), (1.3, 1.0), (1.0, 1.0), (0.5, 1.0)])]
    for draw in range(20):
        alone = [sample_token(logits[i], p.temperature, p.top_p, choice_rng(p.seed, draw))
                 for i, p in enumerate(params)]
        batch = sample_batch(list(logits), params, [choice_rng(p.seed, draw) for p in params])
        subset = sample_batch([logits[3]], [params[3]], [choice_rng(params[3].seed, draw)])
        assert batch == alone and subset == [alone[3]]
