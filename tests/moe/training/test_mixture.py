import numpy as np
import pytest

from moe.checkpoint import DEFAULT_WEIGHTS_DIR
from moe.data import boxed_answer, format_solution, is_held_out, slipped_solution
from moe.tokenizer import Tokenizer
from moe.training.mixture import (aggregate_example, curricula, encode_example, own_aggregate_example, sample_batch,
                                  training_problem)
from moe.training.own_samples import OwnEntry, OwnSamples

from tests.moe.conftest import evaluate
from tests.moe.training.conftest import FIGMA_EXAMPLE

CURRICULA = curricula(FIGMA_EXAMPLE)
FULL = CURRICULA["full"]
PHASES = FULL.phases


def test_training_problems_never_come_from_the_held_out_bucket():
    rng = np.random.default_rng(0)
    assert not any(is_held_out(training_problem(rng, n).question) for n in (1, 2, 3) for _ in range(300))


def test_batches_are_a_function_of_seed_and_step():
    tok = Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")
    a = sample_batch(1, 5, 16, tok, 768, 100, FULL)
    b = sample_batch(1, 5, 16, tok, 768, 100, FULL)
    c = sample_batch(1, 6, 16, tok, 768, 100, FULL)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0][:, :10], c[0][:, :10]) or a[0].shape != c[0].shape
    assert sum(a[2].values()) == 16 and set(a[2]) == {s.name for s in FULL.sources_at(5, 100)}


def test_loss_mask_covers_exactly_the_completion_and_eos():
    tok = Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")
    tokens, mask, counts = sample_batch(2, 0, 24, tok, 768, 100, FULL)
    assert sum(counts.values()) == 24 == len(tokens) == len(mask)
    kinds = {"figma": 0, "math": 0}
    for row, m in zip(tokens, mask):  # what each row's completion is, read from its tokens
        kinds["figma" if tok.decode(row[1:][m[:-1] > 0]).startswith("screen: ") else "math"] += 1
    assert kinds == {"figma": counts["figma"], "math": 24 - counts["figma"]}
    assert min(kinds.values()) >= 1  # the step-0 mixture has both kinds at this seed
    for row, m in zip(tokens, mask):
        targets = row[1:][m[:-1] > 0]
        text = tok.decode(targets)
        assert targets[-1] == tok.eos_id and "Problem" not in text and "Candidate" not in text
        assert (text.endswith("}") and boxed_answer(text) is not None) or text.startswith("screen: ")


def test_aggregate_examples_target_the_correct_solution():
    rng = np.random.default_rng(9)
    for _ in range(50):
        prompt, target = aggregate_example(rng)
        question = prompt.split("Problem: ")[1].split("\n")[0]
        assert int(boxed_answer(target)) == evaluate(question)
        ids, start = encode_example(Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json"), prompt, target)
        assert len(ids) <= 768 and 0 < start < len(ids)


def test_curriculum_phases_start_at_zero_and_switch_at_their_fraction():
    firsts = [first for first, _ in PHASES]
    assert firsts[0] == 0 and firsts == sorted(firsts)
    for first, sources in PHASES:
        assert FULL.sources_at(int(round(first * 1000)), 1000) is sources
    assert FULL.sources_at(299, 1000) is PHASES[0][1] and FULL.sources_at(300, 1000) is PHASES[1][1]
    assert FULL.first_own_sample_step(1000) == 550 and FULL.first_own_sample_step(1082) == 596


def test_refine_curriculum_draws_on_own_samples_from_the_first_step():
    assert CURRICULA["refine"].first_own_sample_step(100) == 0
    names = {s.name for s in CURRICULA["refine"].sources_at(0, 100)}
    assert names == {"solve", "aggregate", "aggregate_own", "figma"}  # no skill left out of the mix
    ops, weights = CURRICULA["refine"].own_ops
    assert max(ops) == 10 and sum(weights) == pytest.approx(1.0)
    solve = next(s for s in CURRICULA["refine"].sources_at(0, 100) if s.name == "solve")
    rng = np.random.default_rng(2)
    lengths = {solve.sample(rng)[1].count("\n") for _ in range(200)}  # one line per operation
    assert max(lengths) == 10 and min(lengths) < 8
    tok = Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")
    with pytest.raises(ValueError, match="own samples"):
        sample_batch(1, 0, 4, tok, 768, 100, CURRICULA["refine"])


def test_stretch_curriculum_aggregates_longer_problems_than_it_solves():
    sources = {s.name: s for s in CURRICULA["stretch"].sources_at(0, 100)}
    assert set(sources) == {"solve", "aggregate", "aggregate_own", "figma"}
    assert CURRICULA["stretch"].first_own_sample_step(100) == 0
    rng = np.random.default_rng(3)
    solve_lines = {sources["solve"].sample(rng)[1].count("\n") for _ in range(300)}
    aggregate_lines = {sources["aggregate"].sample(rng)[1].count("\n") for _ in range(300)}
    assert max(solve_lines) == 10 and max(aggregate_lines) == 13  # one line per operation
    ops, weights = CURRICULA["stretch"].own_ops
    assert min(ops) > 8 and max(ops) == 13 and sum(weights) == pytest.approx(1.0)


def test_batches_that_need_own_samples_refuse_to_run_without_them():
    tok = Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")
    with pytest.raises(ValueError, match="own samples"):
        sample_batch(1, 60, 4, tok, 768, 100, FULL)


def test_own_sample_aggregation_targets_the_correct_solution():
    problem = training_problem(np.random.default_rng(3), 4)
    wrong = slipped_solution(problem, np.random.default_rng(4))
    entries = [OwnEntry(problem.question, format_solution(problem), str(problem.answer), (wrong, wrong, wrong)),
               OwnEntry("Compute 1+1.", "1+1=2\n\\boxed{2}", "2", ("1+1=2\n\\boxed{2}",) * 3)]
    own = OwnSamples(entries)
    assert own.with_wrong == [entries[0]] and own.accuracy() == 0.5
    rng = np.random.default_rng(0)
    drawn = [own_aggregate_example(rng, own) for _ in range(40)]
    assert sum(problem.question in p for p, _ in drawn) > 20  # problems with wrong samples are favoured
    for prompt, target in drawn:
        assert target == (format_solution(problem) if problem.question in prompt else "1+1=2\n\\boxed{2}")
    assert all(w in prompt for prompt, _ in drawn if problem.question in prompt for w in [wrong])


def test_too_long_sources_fail_with_a_clear_error():
    tok = Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")
    with pytest.raises(ValueError, match="raise ModelConfig.max_seq_len"):
        sample_batch(5, 0, 64, tok, 40, 100, FULL)
