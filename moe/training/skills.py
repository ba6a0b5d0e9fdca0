"""The `skills` curriculum: the shipped arithmetic skills, asked the ways clients ask, plus two
more task families (number sorting and filtering, `moe.data_tasks`).

Fine-tunes trained weights (`--init-from`). Each batch keeps the `stretch` data that made RSA pay
off (solving up to 10 operations, aggregating up to 13, own samples), and adds:
- chat_solve / chat_aggregate: arithmetic behind system messages, client wrappers and other
  phrasings, answers in \\boxed{} or <answer> tags as asked (`moe.data_chat`), including wider
  problems (two-digit addends, negative totals);
- sort_* / filter_*: worked solutions and aggregation of slipped candidates, in the same chat
  variety.
From OWN_FROM of the run on, the own-sample pool (drawn then, so that the model already knows the
new families) holds arithmetic, sorting and filtering problems alike.
"""

from __future__ import annotations

import functools

import numpy as np

from moe.data import BOX_HINT, TAG_HINT, aggregate_prompt, format_solution
from moe.data_chat import (arith_question, conversation, final_line, system_message,
                           training_wide_problem)
from moe.data_tasks import (FAMILIES, MAX_NUMBERS, MAX_SORT_NUMBERS, SLIPS, task_problem)
from moe.training.mixture import (CANDIDATES_PER_PROMPT, REFINE_OPS, STRETCH_AGGREGATE_OPS, STRETCH_OWN_OPS,
                                  Curriculum, FigmaExample, Source, aggregate_example, curricula,
                                  own_aggregate_example, slipped_solution, solve_example, training_problem)
from moe.training.own_samples import OwnSamples

OWN_FROM = 0.35
COUNTS = {"number_sorting": (3, MAX_SORT_NUMBERS), "number_filtering": (3, MAX_NUMBERS)}
WIDE_OPS = (1, 6)


def _with_format(solution: str, fmt: str) -> str:
    """A boxed worked solution with its last line in `fmt`."""
    lines = solution.split("\n")
    answer = lines[-1][len("\\boxed{"):-1]
    return "\n".join(lines[:-1] + [final_line(answer, fmt)])


def _arith_problem(rng: np.random.Generator, ops=REFINE_OPS):
    if rng.random() < 0.3:
        return training_wide_problem(rng, int(rng.integers(WIDE_OPS[0], WIDE_OPS[1] + 1)))
    return training_problem(rng, int(rng.choice(ops[0], p=ops[1])))


def chat_solve(rng: np.random.Generator) -> tuple:
    problem = _arith_problem(rng)
    asked = arith_question(problem, rng) if rng.random() < 0.7 else problem.question
    prompt, fmt = conversation(asked, rng)
    return prompt, _with_format(format_solution(problem), fmt)


def _candidates(rng: np.random.Generator, correct: str, wrong) -> list[str]:
    """1-4 candidates, from none to all correct; `wrong()` draws a wrong one."""
    k = int(rng.choice(CANDIDATES_PER_PROMPT[0], p=CANDIDATES_PER_PROMPT[1]))
    n_correct = int(rng.integers(0, k + 1))
    candidates = [correct] * n_correct + [wrong() for _ in range(k - n_correct)]
    rng.shuffle(candidates)
    return candidates


def _aggregate_chat(rng: np.random.Generator, question: str, correct_box: str, wrong_box) -> tuple:
    """RSA's aggregation prompt in a box or tag hint, behind a system message or none."""
    fmt = "tag" if rng.random() < 0.35 else "box"
    candidates = [_with_format(c, fmt) for c in _candidates(rng, correct_box, wrong_box)]
    prompt = aggregate_prompt(question, candidates, TAG_HINT if fmt == "tag" else BOX_HINT)
    return (system_message(rng, tag_share=0.0), prompt), _with_format(correct_box, fmt)


def chat_aggregate(rng: np.random.Generator) -> tuple:
    problem = _arith_problem(rng, STRETCH_AGGREGATE_OPS)
    question = arith_question(problem, rng) if rng.random() < 0.5 else problem.question
    return _aggregate_chat(rng, question, format_solution(problem), lambda: slipped_solution(problem, rng))


def _boxed(lines: str, answer: str) -> str:
    return f"{lines}\n\\boxed{{{answer}}}"


def _task(rng: np.random.Generator, family: str, close: bool = False):
    return task_problem(family, rng, int(rng.integers(COUNTS[family][0], COUNTS[family][1] + 1)), close=close)


def task_solve(rng: np.random.Generator, family: str, close: bool = False) -> tuple:
    problem = _task(rng, family, close)
    prompt, fmt = conversation(problem.question, rng, canonical_share=0.4)
    return prompt, _with_format(_boxed(*problem.solution()), fmt)


def task_aggregate(rng: np.random.Generator, family: str, close: bool = False) -> tuple:
    problem = _task(rng, family, close)
    return _aggregate_chat(rng, problem.question, _boxed(*problem.solution()),
                           lambda: _boxed(*SLIPS[family](problem, rng)))


def own_chat_example(rng: np.random.Generator, own: OwnSamples) -> tuple:
    """Aggregation of the model's own samples, behind a system message half of the time."""
    prompt, completion = own_aggregate_example(rng, own)
    return (system_message(rng, tag_share=0.0), prompt), completion


def own_tasks(rng: np.random.Generator, problems: int) -> list[tuple[str, str, str]]:
    """(solve prompt, correct solution, answer) of the pool's problems: half arithmetic of
    STRETCH_OWN_OPS, a quarter each sorting and filtering."""
    out = []
    for i in range(problems):
        if i % 4 < 2:
            problem = training_problem(rng, int(rng.choice(STRETCH_OWN_OPS[0], p=STRETCH_OWN_OPS[1])))
            out.append((problem.question, format_solution(problem), str(problem.answer)))
        else:
            family = FAMILIES[i % 2]
            problem = _task(rng, family)
            out.append((problem.question, _boxed(*problem.solution()), problem.answer))
    return out


SKILLS_WEIGHTS = {"solve": 0.06, "aggregate": 0.12, "chat_solve": 0.14, "chat_aggregate": 0.08,
                  "sort_solve": 0.12, "sort_aggregate": 0.06, "filter_solve": 0.1, "filter_aggregate": 0.06,
                  "figma": 0.1, "aggregate_own": 0.25}
"""Shares of the `skills` curriculum's sources (aggregate_own from OWN_FROM on)."""
AGGREGATE_WEIGHTS = {"solve": 0.04, "aggregate": 0.08, "chat_solve": 0.1, "chat_aggregate": 0.06,
                     "sort_solve": 0.08, "sort_aggregate": 0.1, "filter_solve": 0.08, "filter_aggregate": 0.1,
                     "figma": 0.08, "aggregate_own": 0.4}
"""`skills` turned toward aggregation of sorting and filtering: more of their synthetic
aggregation and a larger own-sample share (drawn evenly from the three families, `own_tasks_even`),
so that the aggregator learns the errors the model itself makes on lists."""
COMPARE_WEIGHTS = {"solve": 0.02, "aggregate": 0.06, "chat_solve": 0.06, "chat_aggregate": 0.05,
                   "sort_solve": 0.03, "sort_aggregate": 0.05, "filter_solve": 0.03, "filter_aggregate": 0.05,
                   "close_sort_solve": 0.07, "close_sort_aggregate": 0.1, "close_filter_solve": 0.05,
                   "close_filter_aggregate": 0.08, "figma": 0.05, "aggregate_own": 0.3}
"""`aggregate` turned toward close numbers (21, 29, 24), where the model's own sorting and filtering
slip: a wrong comparison that an aggregator shown both picks must settle. Own samples come from
close and uniform lists alike (`own_tasks_close`)."""
SECTIONS_WEIGHTS = {"solve": 0.03, "aggregate": 0.06, "chat_solve": 0.07, "chat_aggregate": 0.05,
                    "sort_solve": 0.06, "sort_aggregate": 0.07, "filter_solve": 0.06, "filter_aggregate": 0.07,
                    "figma": 0.05, "figma_real": 0.25, "aggregate_own": 0.3}
"""`aggregate` with a quarter of each batch real-like Figma sections (`figma_real`): the shipped
skills kept while the model learns the layers real screens are cut into."""


def list_phases(figma_example: FigmaExample, weights: dict[str, float], real_like: FigmaExample | None = None):
    """The `skills` sources (arithmetic, chat, sorting, filtering, Figma; real-like Figma sections
    when given) at `weights`, and the model's own samples from OWN_FROM of the run on."""
    samplers = {
        "solve": functools.partial(solve_example, ops=REFINE_OPS),
        "aggregate": functools.partial(aggregate_example, ops=STRETCH_AGGREGATE_OPS, corrupt=slipped_solution),
        "chat_solve": chat_solve,
        "chat_aggregate": chat_aggregate,
        "sort_solve": functools.partial(task_solve, family="number_sorting"),
        "sort_aggregate": functools.partial(task_aggregate, family="number_sorting"),
        "filter_solve": functools.partial(task_solve, family="number_filtering"),
        "filter_aggregate": functools.partial(task_aggregate, family="number_filtering"),
        "close_sort_solve": functools.partial(task_solve, family="number_sorting", close=True),
        "close_sort_aggregate": functools.partial(task_aggregate, family="number_sorting", close=True),
        "close_filter_solve": functools.partial(task_solve, family="number_filtering", close=True),
        "close_filter_aggregate": functools.partial(task_aggregate, family="number_filtering", close=True),
        "figma": figma_example,
        "figma_real": real_like,
    }
    base = tuple(Source(name, weights[name], sample) for name, sample in samplers.items() if name in weights)
    own = Source("aggregate_own", weights["aggregate_own"], own_chat_example, needs_own_samples=True)
    return ((0.0, base), (OWN_FROM, base + (own,)))


def own_tasks_even(rng: np.random.Generator, problems: int) -> list[tuple[str, str, str]]:
    """`own_tasks` with a third of the pool each arithmetic, sorting and filtering."""
    return [row for i in range(problems)
            for row in (own_tasks(rng, 1) if i % 3 == 0 else _family_task(rng, FAMILIES[i % 3 - 1]))]


def own_tasks_close(rng: np.random.Generator, problems: int) -> list[tuple[str, str, str]]:
    """`own_tasks_even` with half of the lists close (`moe.data_tasks.task_problem`)."""
    return [row for i in range(problems)
            for row in (own_tasks(rng, 1) if i % 3 == 0 else _family_task(rng, FAMILIES[i % 3 - 1], i % 2 == 0))]


def _family_task(rng: np.random.Generator, family: str, close: bool = False) -> list[tuple[str, str, str]]:
    problem = _task(rng, family, close)
    return [(problem.question, _boxed(*problem.solution()), problem.answer)]


def robust_phases(figma_example: FigmaExample):
    """Arithmetic only, asked every way (the `stretch` data plus chat variety): one phase, own
    samples of STRETCH_OWN_OPS problems drawn before the first step."""
    return ((0.0, (
        Source("solve", 0.1, functools.partial(solve_example, ops=REFINE_OPS)),
        Source("aggregate", 0.15, functools.partial(aggregate_example, ops=STRETCH_AGGREGATE_OPS,
                                                    corrupt=slipped_solution)),
        Source("aggregate_own", 0.3, own_chat_example, needs_own_samples=True),
        Source("chat_solve", 0.25, chat_solve),
        Source("chat_aggregate", 0.1, chat_aggregate),
        Source("figma", 0.1, figma_example),
    )),)


def all_curricula(figma_example: FigmaExample, real_like: FigmaExample | None = None) -> dict[str, Curriculum]:
    """`moe.training.mixture.curricula` plus `skills`, `robust` (its arithmetic-only part) and,
    given `real_like`, `sections` (`aggregate` plus real-like Figma sections)."""
    named = {**curricula(figma_example),
             "skills": Curriculum(list_phases(figma_example, SKILLS_WEIGHTS), STRETCH_OWN_OPS, own_tasks),
             "robust": Curriculum(robust_phases(figma_example), STRETCH_OWN_OPS),
             "aggregate": Curriculum(list_phases(figma_example, AGGREGATE_WEIGHTS), STRETCH_OWN_OPS,
                                     own_tasks_even),
             "compare": Curriculum(list_phases(figma_example, COMPARE_WEIGHTS), STRETCH_OWN_OPS, own_tasks_close)}
    if real_like is not None:
        named["sections"] = Curriculum(list_phases(figma_example, SECTIONS_WEIGHTS, real_like), STRETCH_OWN_OPS,
                                       own_tasks_even)
    return named

