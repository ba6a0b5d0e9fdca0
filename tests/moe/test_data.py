import numpy as np
import pytest

from moe.data import (EVAL_STEPS, TAG_HINT, aggregate_prompt, arith_items, boxed_answer, corrupted_solution,
                      final_answer, format_solution, tagged_answer,
                      is_held_out, random_problem, slipped_solution, solve_prompt)

from tests.moe.conftest import evaluate


def test_arith_items_are_deterministic_held_out_and_correct():
    items = arith_items(30, seed=11)
    assert items == arith_items(30, seed=11)
    assert items != arith_items(30, seed=12)
    assert len({it["id"] for it in items}) == 30 and len({it["question"] for it in items}) == 30
    for it in items:
        assert is_held_out(it["question"])
        assert int(it["answer"]) == evaluate(it["question"])
        assert sum(it["question"].count(op) for op in "+-*") == EVAL_STEPS


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


def test_prompts_take_the_answer_tag_hint_and_answers_read_either_format():
    q = "Compute 2+3*4."
    assert solve_prompt(q, TAG_HINT).endswith("End with the answer in <answer>...</answer>.")
    agg = aggregate_prompt(q, ["a", "b"], TAG_HINT)
    assert agg.count("<answer>...</answer>") == 2 and "boxed" not in agg
    assert tagged_answer("x <answer> 14 </answer> y <answer>['1', '2']</answer>") == "['1', '2']"
    assert tagged_answer("<answer>14") is None and tagged_answer("14</answer>") is None
    assert final_answer("\\boxed{3}\n<answer>14</answer>") == "14"
    assert final_answer("2+3=5\n\\boxed{5}") == "5" and final_answer("none") is None
