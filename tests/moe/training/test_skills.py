import ast
import dataclasses
import json
import re

import numpy as np
import pytest
from reasoning_gym import create_dataset

from moe.checkpoint import DEFAULT_WEIGHTS_DIR
from moe.data import Problem, Term, final_answer, is_held_out
from moe.data_chat import (ARITH_FORMS, conversation, expression, wide_problem)
from moe.inference import MoEModel, write_weights
from moe.data_tasks import (FilterProblem, SortProblem, filter_slipped, random_filter, random_sort, sort_slipped,
                            task_items, task_problem)
from moe.tokenizer import Tokenizer
from moe.training import train
from moe.training.chain import CHAINS, SHIPPED, main as chain_main, stage_argv
from moe.training.mixture import encode_example, sample_batch
from moe.training.own_samples import OwnEntry, OwnSamples
from moe.training.skills import all_curricula, chat_solve, own_tasks, task_aggregate, task_solve

from tests.moe.training.conftest import FIGMA_EXAMPLE
from translators.synth import real_like_example

SKILLS = all_curricula(FIGMA_EXAMPLE)["skills"]


def _rg(task: str, **config) -> list[dict]:
    return list(create_dataset(task, seed=5, size=40, **config))


def _shape(question: str) -> str:
    return re.sub(r"-?\d+(\.\d+)?", "N", question)


def test_questions_are_worded_as_reasoning_gym_words_them():
    """Our generators' questions are reasoning-gym's, apart from the numbers."""
    rng = np.random.default_rng(1)
    theirs = {_shape(q["question"]) for q in _rg("number_sorting", min_decimals=0, max_decimals=0,
                                                  min_numbers=4, max_numbers=4)}
    assert {_shape(random_sort(rng, 4).question) for _ in range(20)} == theirs
    theirs = {_shape(q["question"]) for q in _rg("number_filtering", max_decimals=0, min_numbers=5, max_numbers=5)}
    assert {_shape(random_filter(rng, 5).question) for _ in range(60)} == theirs


@pytest.mark.parametrize("task,config", [("number_sorting", dict(min_decimals=0, max_decimals=0, min_value=-99,
                                                                  max_value=99, max_numbers=5)),
                                         ("number_filtering", dict(min_decimals=0, max_decimals=0, min_value=-99,
                                                                   max_value=99, max_numbers=8))])
def test_our_answers_pass_reasoning_gyms_scorer_on_its_own_items(task, config):
    """Parse reasoning-gym's items into our problems: our worked answers score 1.0 with its scorer."""
    dataset = create_dataset(task, seed=3, size=30, **config)
    for entry in dataset:
        problem = _problem_of(task, entry["question"])
        if problem is None:  # "-0.0" and the like: outside what we generate
            continue
        assert problem.question == entry["question"]
        lines, answer = problem.solution()
        assert answer == problem.answer and dataset.score_answer(answer, entry) == 1.0


def _problem_of(task: str, question: str):
    if task == "number_sorting":
        head, rest = question.split(": ", 1)
        texts = rest.split("\n")[0].split(", ")
        if any(t in ("-0.0",) for t in texts):
            return None
        return SortProblem(tuple(int(float(t)) for t in texts), "ascending" in head)
    verb, _, _, side, _, threshold = question.split(" in this list")[0].split(" ")
    numbers = ast.literal_eval(question.split("in this list: ")[1].split("\n")[0])
    if "-0" in numbers or threshold == "-0":
        return None
    return FilterProblem(tuple(int(n) for n in numbers), int(threshold), verb == "Keep", side == "larger")


def test_slipped_task_solutions_end_wrong():
    rng = np.random.default_rng(2)
    for _ in range(100):
        sort, filt = random_sort(rng, int(rng.integers(3, 7))), random_filter(rng, int(rng.integers(3, 9)))
        assert sort_slipped(sort, rng)[1] != sort.answer
        assert filter_slipped(filt, rng)[1] != filt.answer


def test_task_items_are_held_out_deterministic_and_distinct():
    items = task_items("number_filtering", 20, seed=4)
    assert items == task_items("number_filtering", 20, seed=4)
    assert all(is_held_out(it["question"]) for it in items) and len({it["question"] for it in items}) == 20
    rng = np.random.default_rng(0)
    assert not any(is_held_out(task_problem("number_sorting", rng, 4).question) for _ in range(200))


def test_wide_problems_reach_negative_totals_and_two_digit_operands_and_stay_in_range():
    rng = np.random.default_rng(3)
    problems = [wide_problem(rng, 4) for _ in range(200)]
    assert any(p.answer < 0 for p in problems) and any(max(t.factors) >= 10 for p in problems for t in p.terms)
    for p in problems:
        assert all(-99 <= v <= 99 for _, v in p.steps()) and p.answer == eval(p.question[len("Compute "):-1])


def test_expressions_and_phrasings_keep_the_problem():
    problem = Problem((Term("+", (5,)), Term("+", (7, 8)), Term("-", (3,))))
    assert expression(problem, spaced=False) == "5+7*8-3"
    assert expression(problem, spaced=True) == "5 + 7 * 8 - 3"
    assert "Calculate {e}." in ARITH_FORMS and "What is {e}?" in ARITH_FORMS and "{e} =" in ARITH_FORMS


def test_conversations_vary_and_the_answer_format_follows_the_ask():
    rng = np.random.default_rng(5)
    systems, formats = set(), set()
    for _ in range(400):
        (system, user), fmt = conversation("Compute 2+3.", rng)
        asked = (system or "") + user
        assert (fmt == "tag") == ("<answer>" in asked)
        systems.add("none" if system is None else ("empty" if system == "" else "text"))
        formats.add(fmt)
    assert systems == {"none", "empty", "text"} and formats == {"tag", "box"}


def test_chat_and_task_examples_are_right_in_the_asked_format():
    rng = np.random.default_rng(6)
    tok = Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")
    for _ in range(60):
        (system, user), completion = chat_solve(rng)
        tagged = "<answer>" in (system or "") + user
        assert completion.rstrip().endswith("</answer>" if tagged else "}")
        ids, start = encode_example(tok, (system, user), completion)
        assert ids[1] == (tok.role_ids["system"] if system is not None else tok.role_ids["user"])
        assert tok.decode(ids[start:]) == completion
    for family in ("number_sorting", "number_filtering"):
        (system, user), completion = task_solve(rng, family)
        question = user.split("\nSolve step by step")[0]
        assert question.split("\n")[0].split(": ")[0] in user
        assert final_answer(completion).startswith("[")
        (_, agg), target = task_aggregate(rng, family)
        assert "Problem: " in agg and final_answer(target).startswith("[")


def test_skills_curriculum_mixes_old_and_new_data_and_draws_own_samples_late():
    names = {s.name for s in SKILLS.sources_at(0, 100)}
    assert {"solve", "aggregate", "figma", "chat_solve", "sort_solve", "filter_aggregate"} <= names
    assert "aggregate_own" not in names and SKILLS.first_own_sample_step(100) == 35
    rng = np.random.default_rng(7)
    pool = own_tasks(rng, 8)
    assert [q.split(" ")[0] for q, _, _ in pool[:3]] == ["Compute", "Compute", "Sort"]
    assert pool[3][0].split(" ")[0] in ("Keep", "Remove") and all(final_answer(s) == a for _, s, a in pool)
    own = OwnSamples([OwnEntry(q, s, a, (s, s)) for q, s, a in pool])
    tok = Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")
    tokens, mask, counts = sample_batch(3, 50, 32, tok, 768, 100, SKILLS, own)
    assert sum(counts.values()) == 32 and "aggregate_own" in counts
    assert (mask.sum(1) > 0).all()


def test_chain_runs_stages_in_order_from_the_previous_weights(tmp_path):
    argv = stage_argv(SHIPPED[1], tmp_path, tmp_path / "base" / "weights_945", "cpu", 1234)
    assert argv[:2] == ["--out", str(tmp_path / "refine")] and argv[-2:] == ["--init-from",
                                                                          str(tmp_path / "base" / "weights_945")]
    assert "--workers" not in stage_argv(SHIPPED[0], tmp_path, None, "cpu", 1)
    assert "--workers" in stage_argv(SHIPPED[0], tmp_path, None, "cuda", 1)
    assert [s.name for s in CHAINS["shipped"]] == ["base", "refine", "stretch", "robust", "polish", "skills",
                                                   "skills2", "aggregate"]
    assert CHAINS["stretch"] == CHAINS["shipped"][:3] and CHAINS["robust"] == CHAINS["shipped"][:5]
    with pytest.raises(SystemExit, match="stages are base, refine, stretch$"):
        chain_main(["--chain", "stretch", "--out", str(tmp_path), "--through", "nope"], FIGMA_EXAMPLE)
    for stage in ("base",):  # a finished stage is skipped: only its kept snapshot is assembled
        (tmp_path / stage / "snaps").mkdir(parents=True)
        (tmp_path / stage / "DONE").write_text(json.dumps({"stage": stage}))
        (tmp_path / stage / "weights").mkdir()
        (tmp_path / stage / "weights" / "config.json").write_text("{}")
        (tmp_path / stage / "snaps" / "model_945.safetensors").write_text("snapshot")
    chain_main(["--chain", "shipped", "--out", str(tmp_path), "--through", "base"], FIGMA_EXAMPLE)
    kept = tmp_path / "base" / "weights_945"
    assert (kept / "model.safetensors").read_text() == "snapshot" and (kept / "config.json").exists()


def test_skills_fine_tune_samples_its_own_candidates_for_every_family(tmp_path, small_config):
    """A tiny `skills` run from tiny weights: the own-sample pool, drawn at 35% of the run, holds
    arithmetic, sorting and filtering problems, and the run ends with changed weights."""
    cfg_path = tmp_path / "tiny.json"
    cfg_path.write_text(json.dumps(dataclasses.replace(small_config, max_seq_len=768).to_dict()))
    base = MoEModel.random(dataclasses.replace(small_config, max_seq_len=768), seed=1)
    write_weights(tmp_path / "base", base.config, base.tokenizer, base.tensors)
    out = tmp_path / "skills"
    train.main(["--out", str(out), "--init-from", str(tmp_path / "base"), "--curriculum", "skills",
                "--steps", "3", "--batch", "4", "--warmup", "1", "--eval-size", "1", "--threads", "1",
                "--own-problems", "4", "--own-samples", "2", "--seed", "7"], FIGMA_EXAMPLE)
    pool = [json.loads(line) for line in (out / "own_samples.jsonl").read_text().splitlines()]
    first_words = [entry["question"].split(" ")[0] for entry in pool]
    assert first_words[:3] == ["Compute", "Compute", "Sort"] and first_words[3] in ("Keep", "Remove")
    assert all(len(entry["samples"]) == 2 for entry in pool)
    tuned = MoEModel.load(out / "weights")
    assert any(not np.array_equal(tuned.tensors[k], base.tensors[k]) for k in base.tensors)


def test_robust_curriculum_is_arithmetic_asked_every_way_with_own_samples_from_the_start():
    robust = all_curricula(FIGMA_EXAMPLE)["robust"]
    assert robust.first_own_sample_step(100) == 0 and robust.own_tasks is None
    names = {s.name for s in robust.sources_at(0, 100)}
    assert names == {"solve", "aggregate", "aggregate_own", "chat_solve", "chat_aggregate", "figma"}


def test_sections_curriculum_is_aggregate_plus_real_like_figma_and_fits_the_context():
    assert "sections" not in all_curricula(FIGMA_EXAMPLE)  # only when the script passes real_like
    curricula = all_curricula(FIGMA_EXAMPLE, real_like_example)
    sections, aggregate = curricula["sections"], curricula["aggregate"]
    for step in (0, 90):
        names = {s.name for s in sections.sources_at(step, 100)}
        assert names == {s.name for s in aggregate.sources_at(step, 100)} | {"figma_real"}
    assert sections.own_tasks is aggregate.own_tasks
    [real] = [s for s in sections.sources_at(0, 100) if s.name == "figma_real"]
    tok = Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")
    for seed in range(5):
        prompt, completion = real.sample(np.random.default_rng(seed))
        ids, _ = encode_example(tok, prompt, completion)
        assert len(ids) <= 768 and completion.startswith("screen: ")
    assert CHAINS["sections"] == SHIPPED + CHAINS["sections"][-1:] and CHAINS["sections"][-1].name == "sections"
    assert [s.name for s in CHAINS["robust"]][-2:] == ["robust", "polish"]


def test_aggregate_curriculum_draws_its_own_samples_evenly_and_leans_on_list_aggregation():
    aggregate = all_curricula(FIGMA_EXAMPLE)["aggregate"]
    pool = aggregate.own_tasks(np.random.default_rng(1), 9)
    words = [q.split(" ")[0] for q, _, _ in pool]
    assert words[0::3] == ["Compute"] * 3 and words[1::3] == ["Sort"] * 3
    assert all(w in ("Keep", "Remove") for w in words[2::3]) and all(final_answer(s) == a for _, s, a in pool)
    late = {s.name: s.weight for s in aggregate.sources_at(90, 100)}
    assert late["sort_aggregate"] > late["sort_solve"] and late["filter_aggregate"] > late["filter_solve"]
    assert late["aggregate_own"] == max(late.values()) and "aggregate_own" not in {
        s.name for s in aggregate.sources_at(0, 100)}


def test_close_problems_crowd_their_numbers_into_ten_and_stay_in_range_and_out_of_the_held_out_set():
    rng = np.random.default_rng(5)
    for family in ("number_sorting", "number_filtering"):
        close = [task_problem(family, rng, 6, close=True) for _ in range(300)]
        wide = [task_problem(family, rng, 6) for _ in range(300)]
        assert all(-99 <= n <= 99 for p in close for n in p.numbers)
        assert not any(is_held_out(p.question) for p in close)
        assert _most_within_ten(close) >= 4 > 2 > _most_within_ten(wide)


def _most_within_ten(problems) -> float:
    """The mean over problems of how many of its numbers one ten-wide window holds at most."""
    return float(np.mean([max(sum(lo <= n <= lo + 9 for n in p.numbers) for lo in p.numbers) for p in problems]))


def test_compare_curriculum_leans_on_close_lists_and_draws_own_samples_from_them():
    compare = all_curricula(FIGMA_EXAMPLE)["compare"]
    late = {s.name: s.weight for s in compare.sources_at(90, 100)}
    assert late["close_sort_aggregate"] > late["sort_aggregate"] and late["close_filter_aggregate"] > late[
        "filter_aggregate"]
    assert "close_sort_solve" not in {s.name for s in all_curricula(FIGMA_EXAMPLE)["aggregate"].sources_at(90, 100)}
    pool = compare.own_tasks(np.random.default_rng(2), 30)
    assert all(final_answer(s) == a for _, s, a in pool)
    assert {q.split(" ")[0] for q, _, _ in pool[0::3]} == {"Compute"}
    assert CHAINS["compare"] == SHIPPED + CHAINS["compare"][-1:] and CHAINS["compare"][-1].name == "compare"
