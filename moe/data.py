"""Training and evaluation data: multi-step arithmetic, solution formats, RSA prompts.

A problem is a sum of terms, each a digit or a product of two digits ("Compute 5+7*8-3."). Its worked
solution first evaluates the products left to right, then the running sum, one line per
operation, and ends with \\boxed{answer}. Every intermediate result lies in 0..MAX_VALUE:
small operands keep the problems learnable by a few-million-parameter model trained on CPU.

Problems whose text hashes into the held-out bucket are only ever produced by `arith_items`
(evaluation); training generators reject them, so evaluation problems are never trained on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterator

import numpy as np

MAX_VALUE = 99
MAX_ADDEND = 9
MAX_FACTOR = 9
HELD_OUT_BUCKETS = 10
"""1 in HELD_OUT_BUCKETS problem texts is reserved for evaluation."""


@dataclass(frozen=True)
class Term:
    sign: str
    """'+' or '-' (the first term is always '+')."""
    factors: tuple[int, ...]
    """One number, or two numbers multiplied."""

    @property
    def value(self) -> int:
        return int(np.prod(self.factors))

    def text(self) -> str:
        return "*".join(str(f) for f in self.factors)


@dataclass(frozen=True)
class Problem:
    terms: tuple[Term, ...]

    @property
    def question(self) -> str:
        body = self.terms[0].text() + "".join(t.sign + t.text() for t in self.terms[1:])
        return f"Compute {body}."

    @property
    def answer(self) -> int:
        return self.steps()[-1][1] if self.steps() else self.terms[0].value

    def steps(self, errors: dict[int, int] | None = None, operands: dict[int, int] | None = None,
              skip: int | None = None) -> list[tuple[str, int]]:
        """(left-hand side, result) per operation, optionally with a solver's slips.

        errors: step index -> wrong result; operands: step index -> wrong right-hand operand;
        skip: index of a term (>= 1) whose addition is left out. Later steps build on the
        wrong values, as a solver that slipped would.
        """
        errors, operands = errors or {}, operands or {}
        out: list[tuple[str, int]] = []
        values = []
        for term in self.terms:
            if len(term.factors) == 1:
                values.append(term.factors[0])
                continue
            result = errors.get(len(out), term.value)
            out.append((term.text(), result))
            values.append(result)
        total = values[0]
        for i, (term, value) in enumerate(zip(self.terms[1:], values[1:]), 1):
            if i == skip:
                continue
            value = operands.get(len(out), value)
            result = errors.get(len(out), total + value if term.sign == "+" else total - value)
            out.append((f"{total}{term.sign}{value}", result))
            total = result
        return out


def is_held_out(question: str) -> bool:
    digest = hashlib.sha256(question.encode()).digest()
    return digest[0] % HELD_OUT_BUCKETS == 0


def term_layout(rng: np.random.Generator, n_ops: int) -> tuple[int, set[int]]:
    """How many terms a problem of n_ops operations has, and which of them are products."""
    n_products = int(rng.integers(0, n_ops // 2 + 1))
    n_terms = n_ops + 1 - n_products
    return n_terms, set(rng.choice(n_terms, size=n_products, replace=False).tolist())


def random_problem(rng: np.random.Generator, n_ops: int) -> Problem:
    """A problem with exactly n_ops operations and every running total in 0..MAX_VALUE."""
    while True:
        n_terms, is_product = term_layout(rng, n_ops)
        terms, total = [], 0
        for i in range(n_terms):
            factors = ((int(rng.integers(2, MAX_FACTOR + 1)), int(rng.integers(2, MAX_FACTOR + 1)))
                       if i in is_product else (int(rng.integers(1, MAX_ADDEND + 1)),))
            value = int(np.prod(factors))
            sign = "+" if i == 0 or rng.random() < 0.5 else "-"
            if sign == "-" and total - value < 0:
                sign = "+"
            if sign == "+" and total + value > MAX_VALUE:
                sign = "-"
            total = total + value if sign == "+" else total - value
            terms.append(Term(sign, factors))
        if 0 <= total <= MAX_VALUE and all(0 <= v <= MAX_VALUE for _, v in Problem(tuple(terms)).steps()):
            return Problem(tuple(terms))


def format_solution(problem: Problem, errors: dict[int, int] | None = None,
                    operands: dict[int, int] | None = None, skip: int | None = None) -> str:
    steps = problem.steps(errors, operands, skip)
    lines = [f"{lhs}={result}" for lhs, result in steps]
    final = steps[-1][1] if steps else problem.terms[0].value
    return "\n".join(lines + [f"\\boxed{{{final}}}"])


def wrong_value(correct: int, rng: np.random.Generator) -> int:
    """A plausible slip: off by one or by a carry, or one digit changed."""
    while True:
        kind = rng.random()
        if kind < 0.6:
            value = correct + int(rng.choice([-20, -10, -2, -1, 1, 2, 10, 20]))
        else:
            digits = list(str(correct))
            digits[int(rng.integers(len(digits)))] = str(int(rng.integers(10)))
            value = int("".join(digits))
        if value != correct and 0 <= value <= MAX_VALUE:
            return value


def corrupted_solution(problem: Problem, rng: np.random.Generator) -> str:
    """A solution with one or two wrong step results; later steps build on the wrong values."""
    n_steps = len(problem.steps())
    errors: dict[int, int] = {}
    for _ in range(1 if rng.random() < 0.75 or n_steps < 2 else 2):
        step = int(rng.integers(n_steps))
        errors[step] = wrong_value(problem.steps(errors)[step][1], rng)
    if problem.steps(errors)[-1][1] == problem.answer:  # the slips cancelled: try again
        return corrupted_solution(problem, rng)
    return format_solution(problem, errors)


def slipped_solution(problem: Problem, rng: np.random.Generator) -> str:
    """A wrong solution with the slips a small model makes: a wrong result, a wrong operand
    (often another term's value, copied from the wrong place) or a term left out."""
    n_products = sum(len(t.factors) == 2 for t in problem.terms)
    n_sums = len(problem.terms) - 1
    kind = rng.random()
    if kind < 0.5 or n_sums == 0:
        return corrupted_solution(problem, rng)
    if kind < 0.8:
        step = n_products + int(rng.integers(n_sums))
        right = problem.steps()[step][0]
        correct = int(right[len(right.rstrip("0123456789")):])
        others = [t.value for t in problem.terms if t.value != correct]
        wrong = (int(rng.choice(others)) if others and rng.random() < 0.5 else wrong_value(correct, rng))
        solution = format_solution(problem, operands={step: wrong})
    else:
        if n_sums < 2:
            return corrupted_solution(problem, rng)
        solution = format_solution(problem, skip=int(rng.integers(1, n_sums + 1)))
    if boxed_answer(solution) == str(problem.answer):  # the slip did not change the answer
        return corrupted_solution(problem, rng)
    return solution


# ---- prompts (the recipe templates in recipes/prompts/ must render exactly these) ---------

BOX_HINT = "\\boxed{}"
TAG_HINT = "<answer>...</answer>"
"""The hint of reasoning-gym's convention (`answer_format: answer_tag` in pipe's recipes)."""


def solve_prompt(question: str, hint: str = BOX_HINT) -> str:
    return f"{question}\nSolve step by step. End with the answer in {hint}."


def aggregate_prompt(question: str, candidates: list[str], hint: str = BOX_HINT) -> str:
    """RSA aggregation prompt (reference doc section 1), kept short: a 4-candidate prompt is ~200 tokens."""
    if not candidates:
        raise ValueError("aggregate_prompt needs at least one candidate solution")
    if len(candidates) == 1:
        parts = [
            "Here is a problem and a candidate solution that may be wrong. Refine it into one "
            f"correct solution; check every step. End with the answer in {hint}.",
            f"Problem: {question}",
            "---- Candidate ----",
            candidates[0].strip(),
        ]
    else:
        parts = [
            "Here is a problem and several candidate solutions; some may be wrong. Combine them "
            "into one correct solution; where they disagree, check the steps. "
            f"End with the answer in {hint}.",
            f"Problem: {question}",
            "Candidate solutions (may contain mistakes):",
        ]
        for i, candidate in enumerate(candidates, 1):
            parts += [f"---- Solution {i} ----", candidate.strip()]
    parts.append(f"Write one improved solution, ending with the answer in {hint}.")
    return "\n".join(parts)


def boxed_answer(text: str) -> str | None:
    """Content of the last \\boxed{...} (braces matched), or None."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, begin = 0, start + len("\\boxed{")
    for i in range(begin, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            if depth == 0:
                return text[begin:i].strip()
            depth -= 1
    return None


def tagged_answer(text: str) -> str | None:
    """Content of the last <answer>...</answer> (reasoning-gym's convention), or None."""
    end = text.rfind("</answer>")
    start = text.rfind("<answer>", 0, end if end >= 0 else None)
    return text[start + len("<answer>"): end].strip() if 0 <= start < end else None


def final_answer(text: str) -> str | None:
    """The answer a reply gives: its <answer> tags, else its last \\boxed{}."""
    tagged = tagged_answer(text)
    return tagged if tagged is not None else boxed_answer(text)


# ---- evaluation items ------------------------------------------------------------------------

EVAL_STEPS = 12
"""Operations per benchmark problem: longer than any solve example in training (at most 10), so
one sample at temperature 1.0 lands mid-range, and within the aggregation examples (up to 13)."""


def arith_items(size: int, seed: int, steps: int = EVAL_STEPS) -> list[dict]:
    """`size` held-out problems: dicts {id, question, answer} (answer a decimal string)."""
    return list(iter_arith_items(size, seed, steps))


def iter_arith_items(size: int, seed: int, steps: int = EVAL_STEPS) -> Iterator[dict]:
    """`arith_items` one at a time, made as they are read (the `arith` dataset source: a run
    over a million problems holds only their 8-byte digests, to keep them distinct)."""
    rng = np.random.default_rng([seed, 20250601, steps])
    made, seen = 0, set()
    while made < size:
        problem = random_problem(rng, steps)
        question = problem.question
        digest = hashlib.blake2b(question.encode(), digest_size=8).digest()
        if is_held_out(question) and digest not in seen:
            seen.add(digest)
            yield {"id": f"arith-{steps}-{seed}-{made}", "question": question,
                   "answer": str(problem.answer)}
            made += 1
