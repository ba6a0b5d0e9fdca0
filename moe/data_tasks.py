"""Two more task families, in reasoning-gym's wording: number sorting and number filtering.

Questions are phrased exactly as reasoning-gym's `number_sorting` and `number_filtering` tasks
phrase them, restricted to what a 3M-parameter model can learn: whole numbers in -99..99
(`number_sorting` with `max_decimals: 0` writes them `-48.0`, `number_filtering` writes `-48`),
3 to MAX_NUMBERS of them. Worked solutions are the project's own: sorting picks the smallest (or
largest) of the numbers left, one line per pick; filtering states which numbers it keeps, then
checks one number per line. Both end with the answer list as reasoning-gym's scorers read it.

`*_slipped` write the mistakes a small model makes (a wrong pick, a number dropped from the
list, a wrong comparison), for the synthetic aggregation examples. Held-out problems are those
whose question text hashes into the evaluation bucket (`moe.data.is_held_out`), as for arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moe.data import is_held_out

MAX_NUMBERS = 8
MAX_SORT_NUMBERS = 6
"""Sorting's worked solution grows with the square of the count: 6 keep 4 candidates in the context."""
VALUE_RANGE = (-99, 99)
CLOSE_SHARE = 0.7
"""Share of a close problem's numbers drawn from one span of ten."""
SORT_INSTRUCTION = """
Please follow the instruction below:
## 1. Let all your answers be a list of numbers. Instead of reporting your answer as -69, -13, 1, 7, 11, 43, 59, 61, use ['-69', '-13', '1', '7', '11', '43', '59', '61'] instead
## 2. Convert all numbers in the square brackets as strings. For example, ['-69', '-13', '1', '7', '11', '43', '59', '61']
"""
"""reasoning-gym's `number_sorting` appends this to every question."""


def _list_text(texts: list[str]) -> str:
    return "[" + ", ".join(f"'{t}'" for t in texts) + "]"


@dataclass(frozen=True)
class SortProblem:
    numbers: tuple[int, ...]
    ascending: bool

    def text(self, n: int) -> str:
        return f"{n}.0"

    @property
    def question(self) -> str:
        direction = "ascending" if self.ascending else "descending"
        body = ", ".join(self.text(n) for n in self.numbers)
        return f"Sort these numbers in {direction} order: {body}{SORT_INSTRUCTION}"

    @property
    def answer(self) -> str:
        return _list_text([self.text(n) for n in sorted(self.numbers, reverse=not self.ascending)])

    def lines(self, wrong_pick: int | None = None, drop: int | None = None) -> tuple[list[str], list[int]]:
        """Worked lines and the order they produce; `wrong_pick`: the step that picks the
        runner-up; `drop`: the step after which one number is lost from the list."""
        left, order, lines = list(self.numbers), [], []
        word = "Smallest" if self.ascending else "Largest"
        step = 0
        while len(left) > 1:
            ranked = sorted(left, reverse=not self.ascending)
            pick = ranked[1] if step == wrong_pick and ranked[1] != ranked[0] else ranked[0]
            lines.append(f"{word} of {', '.join(str(n) for n in left)}: {pick}")
            order.append(pick)
            left.remove(pick)
            if step == drop and len(left) > 1:
                left.pop(len(left) // 2)
            step += 1
        order += left
        lines.append(f"Left: {left[0]}" if left else "Left: none")
        return lines, order

    def solution(self, wrong_pick: int | None = None, drop: int | None = None) -> tuple[str, str]:
        """(worked lines, answer list text)."""
        lines, order = self.lines(wrong_pick, drop)
        return "\n".join(lines), _list_text([self.text(n) for n in order])


@dataclass(frozen=True)
class FilterProblem:
    numbers: tuple[int, ...]
    threshold: int
    keep: bool
    larger: bool

    @property
    def question(self) -> str:
        verb, side = ("Keep" if self.keep else "Remove"), ("larger" if self.larger else "smaller")
        listed = _list_text([str(n) for n in self.numbers])
        return (f"{verb} all numbers {side} than {self.threshold} in this list: {listed}\n"
                "Return the new list in the same format.")

    @property
    def relation(self) -> str:
        """The test a number passes to stay in the list."""
        return {(True, True): ">", (True, False): "<", (False, True): "<=", (False, False): ">="}[
            (self.keep, self.larger)]

    def stays(self, n: int) -> bool:
        t = self.threshold
        return {">": n > t, "<": n < t, "<=": n <= t, ">=": n >= t}[self.relation]

    @property
    def answer(self) -> str:
        return _list_text([str(n) for n in self.numbers if self.stays(n)])

    def solution(self, flips: frozenset[int] = frozenset()) -> tuple[str, str]:
        """(worked lines, answer list text); `flips`: indices whose check comes out wrong."""
        lines = [f"Keep n {self.relation} {self.threshold}."]
        kept = []
        for i, n in enumerate(self.numbers):
            ok = self.stays(n) != (i in flips)
            lines.append(f"{n} {self.relation} {self.threshold}: {'yes' if ok else 'no'}")
            if ok:
                kept.append(str(n))
        return "\n".join(lines), _list_text(kept)


def _numbers(rng: np.random.Generator, count: int) -> tuple[int, ...]:
    return tuple(int(v) for v in rng.integers(VALUE_RANGE[0], VALUE_RANGE[1] + 1, size=count))


def _close_numbers(rng: np.random.Generator, count: int) -> tuple[int, ...]:
    """Numbers most of which lie within ten of each other (21, 29, 24): the comparisons a small
    model gets wrong, rare among uniform draws."""
    base = int(rng.integers(VALUE_RANGE[0], VALUE_RANGE[1] - 8))
    near = base + rng.integers(0, 10, size=count)
    wide = rng.integers(VALUE_RANGE[0], VALUE_RANGE[1] + 1, size=count)
    return tuple(int(v) for v in np.where(rng.random(count) < CLOSE_SHARE, near, wide))


def random_sort(rng: np.random.Generator, count: int, close: bool = False) -> SortProblem:
    return SortProblem((_close_numbers if close else _numbers)(rng, count), bool(rng.random() < 0.5))


def random_filter(rng: np.random.Generator, count: int, close: bool = False) -> FilterProblem:
    numbers = (_close_numbers if close else _numbers)(rng, count)
    threshold = int(rng.integers(min(numbers), max(numbers) + 1))
    return FilterProblem(numbers, threshold, bool(rng.random() < 0.5), bool(rng.random() < 0.5))


def sort_slipped(problem: SortProblem, rng: np.random.Generator) -> tuple[str, str]:
    """A wrong worked solution (a runner-up picked, or a number lost), as (lines, answer)."""
    for _ in range(20):
        steps = max(1, len(problem.numbers) - 1)
        if rng.random() < 0.6:
            lines, answer = problem.solution(wrong_pick=int(rng.integers(steps)))
        else:
            lines, answer = problem.solution(drop=int(rng.integers(steps)))
        if answer != problem.answer:
            return lines, answer
    order = list(problem.numbers)
    return problem.solution()[0], _list_text([problem.text(n) for n in order[:-1]])


def filter_slipped(problem: FilterProblem, rng: np.random.Generator) -> tuple[str, str]:
    """A wrong worked solution: one or two checks come out the wrong way."""
    count = 1 if rng.random() < 0.75 or len(problem.numbers) < 2 else 2
    flips = frozenset(int(i) for i in rng.choice(len(problem.numbers), size=count, replace=False))
    return problem.solution(flips)


FAMILIES = ("number_sorting", "number_filtering")
GENERATORS = {"number_sorting": random_sort, "number_filtering": random_filter}
SLIPS = {"number_sorting": sort_slipped, "number_filtering": filter_slipped}


def task_problem(family: str, rng: np.random.Generator, count: int, held_out: bool = False,
                 close: bool = False):
    """A problem of `family` with `count` numbers, outside (or, for evaluation, inside) the
    held-out bucket; `close`: most numbers within ten of each other."""
    while True:
        problem = GENERATORS[family](rng, count, close)
        if is_held_out(problem.question) == held_out:
            return problem


def task_items(family: str, size: int, seed: int, counts: tuple[int, int] = (3, MAX_NUMBERS)) -> list[dict]:
    """`size` held-out problems of `family`: dicts {id, question, answer}."""
    rng = np.random.default_rng([seed, 20261202, FAMILIES.index(family)])
    items, seen = [], set()
    while len(items) < size:
        problem = task_problem(family, rng, int(rng.integers(counts[0], counts[1] + 1)), held_out=True)
        if problem.question not in seen:
            seen.add(problem.question)
            items.append({"id": f"{family}-{seed}-{len(items)}", "question": problem.question,
                          "answer": problem.answer})
    return items
