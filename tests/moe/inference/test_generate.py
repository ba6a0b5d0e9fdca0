import numpy as np

from moe.inference.generate import generate, sample_tokens


def test_sample_tokens_is_greedy_at_zero_and_follows_the_softmax_at_one():
    logits = np.log(np.array([[0.1, 0.6, 0.3]] * 3000, np.float32))
    assert (sample_tokens(logits, 0.0, np.random.default_rng(0)) == 1).all()
    draws = sample_tokens(logits, 1.0, np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / len(draws), [0.1, 0.6, 0.3], atol=0.03)


def test_generate_is_reproducible_and_respects_the_token_budget(small_model):
    prompts = [[1, 5, 9], [2, 7], [3]]
    first = generate(small_model, prompts, 6, 1.0, np.random.default_rng(4))
    assert first == generate(small_model, prompts, 6, 1.0, np.random.default_rng(4))
    assert all(len(out) <= 6 for out in first) and any(len(out) == 6 for out in first)
    assert all(small_model.tokenizer.eos_id not in out for out in first)
