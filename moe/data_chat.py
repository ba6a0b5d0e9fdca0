"""How clients ask: system messages, wrappers, phrasings, and the answer format they want.

A training conversation is (system message or None, user text) and a completion. The same
problem is asked many ways: with no system message, an empty one, a generic one ("You are a
helpful assistant.") or a task-specific one (reasoning-gym's, asking for <answer> tags); inside
the wrappers that clients and prompt libraries add ("User: ...\\nAssistant:", "Question: ...
Answer:", instruction headers); and, for arithmetic, in many phrasings ("What is 5 + 7 * 8?",
"5+7*8 =", reasoning-gym's `basic_arithmetic` "Calculate 5 + 7 * 8."). The worked lines stay
the same; the last line is `\\boxed{}` unless the conversation asks for <answer></answer> tags.

`wide_problem` widens arithmetic beyond the shipped model's range: two-digit addends and running
totals down to -99 (the limits: operands up to 99, products of two digits, |totals| <= 99).
"""

from __future__ import annotations

import numpy as np

from moe.data import (BOX_HINT, MAX_FACTOR, TAG_HINT, Problem, Term, is_held_out, solve_prompt, term_layout)

Prompt = tuple[str | None, str]
"""(system message or None, user message)."""

GENERIC_SYSTEMS = (
    "You are a helpful assistant.", "You are a helpful assistant. Answer concisely.",
    "You are a friendly and knowledgeable AI assistant.", "You are ChatGPT, a large language model.",
    "Be concise.", "You are an expert problem solver.", "You are a helpful, harmless and honest assistant.",
    "You are a precise assistant. Think before you answer.",
)
TASK_SYSTEMS = (
    "You are a math tutor. Solve problems step by step.", "Solve the problem step by step.",
    "You are a careful reasoner. Show your work, then give the final answer.",
    "Think step by step and check each step.",
)
TAG_SYSTEMS = (
    "Given a problem, your task is to answer the question by thinking step-by-step in a clear and "
    "specific manner.\nOnce you have thought about the reasoning process, provide the answer in the "
    "following format:\n<answer>answer here</answer>\nDo not explain your reasoning inside the answer "
    "tags, provide only the final answer. When an example is provided, you should strictly follow the "
    "format of the output/answer in that example.\n",
    "You are a helpful assistant that answers questions accurately and concisely. When asked to solve "
    "a problem, show your work step by step. Provide your final answer between <answer> and </answer> tags.",
    "Put your final answer within <answer></answer> tags.",
    "Reason step by step. Return the answer at the end of the response enclosed in <answer> </answer> tags.",
)
"""System messages asking for <answer> tags (the first two are reasoning-gym's `default` and `simple`)."""

WRAPPERS = (
    "User: {x}\nAssistant:", "Question: {x}\nAnswer:", "Q: {x}\nA:", "### Instruction:\n{x}\n\n### Response:",
    "Human: {x}\n\nAssistant:", "Please answer the following question.\n\n{x}", "{x}\nLet's think step by step.",
    "Problem: {x}\nSolution:", "Solve the following problem.\n{x}", "USER: {x}\nASSISTANT:",
)
BOX_ASKS = ("Solve step by step. End with the answer in \\boxed{}.", "Put the final answer in \\boxed{}.",
            "Show your work.", "Think step by step.", "Please reason step by step, and put your final answer "
            "within \\boxed{}.")
TAG_ASKS = (f"Solve step by step. End with the answer in {TAG_HINT}.",
            "Give your final answer in <answer></answer> tags.",
            "Provide your final answer between <answer> and </answer> tags.",
            "Return the answer as <answer>answer here</answer>.")
ARITH_FORMS = ("Compute {e}.", "Calculate {e}.", "What is {e}?", "Solve {e}.", "Evaluate: {e}.",
               "Evaluate {e}.", "{e} =", "{e}=", "{e} = ?", "What is the value of {e}?", "Find {e}.",
               "Work out {e}.", "{e}", "How much is {e}?", "What does {e} equal?")
"""Arithmetic phrasings; "Calculate {e}." and the next four are reasoning-gym's `basic_arithmetic`."""


def final_line(answer: str, fmt: str) -> str:
    return f"<answer>{answer}</answer>" if fmt == "tag" else f"\\boxed{{{answer}}}"


def expression(problem: Problem, spaced: bool) -> str:
    joint = " " if spaced else ""
    body = [problem.terms[0].text()] + [f"{t.sign}{joint}{t.text()}" for t in problem.terms[1:]]
    text = joint.join(body)
    return text.replace("*", f"{joint}*{joint}") if spaced else text


def arith_question(problem: Problem, rng: np.random.Generator) -> str:
    form = ARITH_FORMS[int(rng.integers(len(ARITH_FORMS)))]
    return form.format(e=expression(problem, spaced=bool(rng.random() < 0.6)))


def pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def system_message(rng: np.random.Generator, tag_share: float = 0.3) -> str | None:
    """None half the time, else an empty, generic, task-specific or tag-asking system message."""
    r = rng.random()
    if r < 0.45:
        return None
    if r < 0.55:
        return ""
    if r < 0.75:
        return pick(rng, GENERIC_SYSTEMS)
    return pick(rng, TAG_SYSTEMS) if rng.random() < tag_share / 0.25 else pick(rng, TASK_SYSTEMS)


def asks_for_tags(*texts: str | None) -> bool:
    return any(t and "<answer>" in t for t in texts)


def conversation(question: str, rng: np.random.Generator, canonical_share: float = 0.3) -> tuple[Prompt, str]:
    """A way to ask `question`, and the answer format it asks for ('box' or 'tag').

    `canonical_share` of the user texts are pipe's own solve prompt (with either hint)."""
    system = system_message(rng)
    if rng.random() < canonical_share:
        user = solve_prompt(question, TAG_HINT if rng.random() < 0.3 else BOX_HINT)
    else:
        r = rng.random()
        ask = "" if r < 0.35 else pick(rng, TAG_ASKS if r < 0.6 else BOX_ASKS)
        user = question if not ask else (f"{question}\n{ask}" if rng.random() < 0.7 else f"{ask}\n{question}")
    if rng.random() < 0.4:
        user = pick(rng, WRAPPERS).format(x=user)
    return (system, user), ("tag" if asks_for_tags(system, user) else "box")


def wide_problem(rng: np.random.Generator, n_ops: int, low: int = -99, high: int = 99) -> Problem:
    """A problem with n_ops operations, one- or two-digit addends, products of two digits and
    every running total in low..high (negative totals included)."""
    while True:
        n_terms, is_product = term_layout(rng, n_ops)
        terms, total = [], 0
        for i in range(n_terms):
            if i in is_product:
                factors = (int(rng.integers(2, MAX_FACTOR + 1)), int(rng.integers(2, MAX_FACTOR + 1)))
            else:
                factors = (int(rng.integers(10, 100)) if rng.random() < 0.4 else int(rng.integers(1, 10)),)
            value = int(np.prod(factors))
            sign = "+" if i == 0 or rng.random() < 0.5 else "-"
            if sign == "+" and total + value > high:
                sign = "-"
            if sign == "-" and total - value < low:
                sign = "+"
            total = total + value if sign == "+" else total - value
            terms.append(Term(sign, factors))
        problem = Problem(tuple(terms))
        if all(low <= v <= high for _, v in problem.steps()) and low <= problem.answer <= high:
            return problem


def training_wide_problem(rng: np.random.Generator, n_ops: int) -> Problem:
    while True:
        problem = wide_problem(rng, n_ops)
        if not is_held_out(problem.question):
            return problem
