import re

import numpy as np
import pytest

from moe.data import (EVAL_STEPS, aggregate_prompt, arith_items, boxed_answer, corrupted_solution, format_solution,
                      is_held_out, random_problem, slipped_solution, solve_prompt)
from moe.mixture import (CURRICULA, PHASES, encode_example, first_own_sample_step, own_aggregate_example,
                         sample_batch, sources_at, training_problem)
from moe.model import DEFAULT_WEIGHTS_DIR
from moe.tokenizer import Tokenizer


def evaluate(question: str) -> int:
    expression = re.fullmatch(r"Compute ([0-9+\-*]+)\.", question).group(1)
    return eval(expression)  # digits and + - * only, checked by the regex


def test_arith_items_are_deterministic_held_out_and_correct():
    items = arith_items(30, seed=11)
    assert items == arith_items(30, seed=11)
    assert items != arith_items(30, seed=12)
    assert len({it["id"] for it in items}) == 30 and len({it["question"] for it in items}) == 30
    for it in items:
        assert is_held_out(it["question"])
        assert int(it["answer"]) == evaluate(it["question"])
        assert sum(it["question"].count(op) for op in "+-*") == EVAL_STEPS


def test_training_problems_never_come_from_the_held_out_bucket():
    rng = np.random.default_rng(0)
    assert not any(is_held_out(training_problem(rng, n).question) for n in (1, 2, 3) for _ in range(300))


@pytest.mark.parametrize("n_ops", [1, 2, 3, 4])
def test_worked_solution_is_right_and_stays_in_range(n_ops):
    rng = np.random.default_rng(n_ops)
    for _ in range(50):
        problem = random_problem(rng, n_ops)
        solution = format_solution(problem)
        lines = solution.split("\n")
        assert len(lines) == n_ops + 1
        for line in lines[:-1]:
            lhs, rhs = line.split("=")
            assert eval(lhs) == int(rhs) and 0 <= int(rhs) <= 99
        assert int(boxed_answer(solution)) == problem.answer == evaluate(problem.question)


def test_corrupted_solution_ends_wrong_but_keeps_the_format():
    rng = np.random.default_rng(4)
    for _ in range(100):
        problem = random_problem(rng, 3)
        bad = corrupted_solution(problem, rng)
        assert int(boxed_answer(bad)) != problem.answer
        assert len(bad.split("\n")) == len(format_solution(problem).split("\n"))


def test_slipped_solutions_are_consistent_chains_with_a_wrong_answer():
    """Every line is right given its own left-hand side; the slip is an operand, term or result."""
    rng = np.random.default_rng(8)
    kinds = set()
    for _ in range(200):
        problem = random_problem(rng, 4)
        bad = slipped_solution(problem, rng)
        lines = bad.split("\n")
        assert int(boxed_answer(bad)) != problem.answer
        n_lines = len(format_solution(problem).split("\n"))
        kinds.add("skip" if len(lines) < n_lines else "same-length")
        consistent = all(eval(line.split("=")[0]) == int(line.split("=")[1]) for line in lines[:-1])
        kinds.add("operand" if consistent and len(lines) == n_lines else "other")
    assert kinds == {"skip", "same-length", "operand", "other"}


def test_boxed_answer_takes_the_last_box_with_matched_braces():
    assert boxed_answer("x \\boxed{1} y \\boxed{{2}+3} z") == "{2}+3"
    assert boxed_answer("no box") is None
    assert boxed_answer("\\boxed{12") is None


def test_prompt_formats():
    q = "Compute 2+3*4."
    assert solve_prompt(q) == "Compute 2+3*4.\nSolve step by step. End with the answer in \\boxed{}."
    lines = aggregate_prompt(q, ["a\n\\boxed{1}", "b"]).split("\n")
    assert lines[1:] == ["Problem: Compute 2+3*4.", "Candidate solutions (may contain mistakes):",
                         "---- Solution 1 ----", "a", "\\boxed{1}", "---- Solution 2 ----", "b",
                         "Write one improved solution, ending with the answer in \\boxed{}."]
    single = aggregate_prompt(q, ["only"]).split("\n")
    assert single[2:4] == ["---- Candidate ----", "only"] and "Refine" in single[0]
    with pytest.raises(ValueError):
        aggregate_prompt(q, [])


def test_batches_are_a_function_of_seed_and_step():
    tok = Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")
    a = sample_batch(1, 5, 16, tok, 768, 100)
    b = sample_batch(1, 5, 16, tok, 768, 100)
    c = sample_batch(1, 6, 16, tok, 768, 100)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0][:, :10], c[0][:, :10]) or a[0].shape != c[0].shape
    assert sum(a[2].values()) == 16 and set(a[2]) == {s.name for s in sources_at(5, 100)}


def test_loss_mask_covers_exactly_the_completion_and_eos():
    tok = Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")
    tokens, mask, counts = sample_batch(2, 0, 24, tok, 768, 100)
    assert counts["figma"] > 0 and counts["solve"] + counts["aggregate"] > 0
    for row, m in zip(tokens, mask):
        targets = row[1:][m[:-1] > 0]
        text = tok.decode(targets)
        assert targets[-1] == tok.eos_id and "Problem" not in text and "Candidate" not in text
        assert (text.endswith("}") and boxed_answer(text) is not None) or text.startswith("screen: ")


def test_aggregate_examples_target_the_correct_solution():
    from moe.mixture import aggregate_example
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
        assert sources_at(int(round(first * 1000)), 1000) is sources
    assert sources_at(299, 1000) is PHASES[0][1] and sources_at(300, 1000) is PHASES[1][1]
    assert first_own_sample_step(1000) == 550 and first_own_sample_step(1082) == 596


def test_refine_curriculum_draws_on_own_samples_from_the_first_step():
    assert first_own_sample_step(100, "refine") == 0
    names = {s.name for s in sources_at(0, 100, "refine")}
    assert names == {"solve", "aggregate", "aggregate_own", "figma"}  # no skill left out of the mix
    ops, weights = CURRICULA["refine"].own_ops
    assert max(ops) == 10 and sum(weights) == pytest.approx(1.0)
    solve = next(s for s in sources_at(0, 100, "refine") if s.name == "solve")
    rng = np.random.default_rng(2)
    lengths = {solve.sample(rng)[1].count("\n") for _ in range(200)}  # one line per operation
    assert max(lengths) == 10 and min(lengths) < 8
    tok = Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")
    with pytest.raises(ValueError, match="own samples"):
        sample_batch(1, 0, 4, tok, 768, 100, curriculum="refine")


def test_stretch_curriculum_aggregates_longer_problems_than_it_solves():
    sources = {s.name: s for s in sources_at(0, 100, "stretch")}
    assert set(sources) == {"solve", "aggregate", "aggregate_own", "figma"}
    assert first_own_sample_step(100, "stretch") == 0
    rng = np.random.default_rng(3)
    solve_lines = {sources["solve"].sample(rng)[1].count("\n") for _ in range(300)}
    aggregate_lines = {sources["aggregate"].sample(rng)[1].count("\n") for _ in range(300)}
    assert max(solve_lines) == 10 and max(aggregate_lines) == 13  # one line per operation
    ops, weights = CURRICULA["stretch"].own_ops
    assert min(ops) > 8 and max(ops) == 13 and sum(weights) == pytest.approx(1.0)


def test_batches_that_need_own_samples_refuse_to_run_without_them():
    tok = Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")
    with pytest.raises(ValueError, match="own samples"):
        sample_batch(1, 60, 4, tok, 768, 100)


def test_own_sample_aggregation_targets_the_correct_solution():
    from moe.self_play import OwnEntry, OwnSamples
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
        sample_batch(5, 0, 64, tok, 40, 100)
