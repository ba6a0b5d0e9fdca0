"""A fake model that does arithmetic, sometimes wrong, and aggregates by majority: enough
behaviour for RSA to beat a single sample, with every call's outcome reproducible."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import datetime

from pipelines import Price, Usage
from tests.pipelines.fake_llm import FakeLLM

EXPRESSION = re.compile(r"\d+(?:\s*[-+*]\s*\d+)+")
CANDIDATE = re.compile(r"---- (?:Solution \d+|Candidate) ----\n(.*?)(?=\n---- |\nWrite one improved)",
                       re.DOTALL)
ANSWER = re.compile(r"\\boxed\{(-?\d+)\}|<answer>(-?\d+)</answer>")


def prompt_of(body: dict) -> str:
    return body["messages"][-1]["content"]


def problem_value(prompt: str) -> int:
    head = prompt.split("Candidate")[0]
    expression = EXPRESSION.findall(head)[-1]
    return int(eval(expression, {"__builtins__": {}}))  # digits and + - * only (regex above)


def _format(prompt: str, value: int) -> str:
    return f"<answer>{value}</answer>" if "<answer>" in prompt else f"\\boxed{{{value}}}"


def candidate_answers(prompt: str) -> list[int]:
    found = []
    for text in CANDIDATE.findall(prompt):
        match = ANSWER.search(text)
        if match:
            found.append(int(match.group(1) or match.group(2)))
    return found


def solver_reply(body: dict) -> str:
    """Solve: right two times in three (by the sample's seed). Aggregate: the candidates'
    majority (ties to the first). Refine (one candidate): fix it when the seed says so."""
    prompt = prompt_of(body)
    truth = problem_value(prompt)
    luck = int(hashlib.sha1(f"{prompt}|{body.get('seed')}".encode()).hexdigest()[:4], 16) % 3
    candidates = candidate_answers(prompt)
    if not candidates:
        value = truth if luck else truth + 1
    elif len(candidates) == 1:
        value = truth if luck == 0 else candidates[0]
    else:
        value = Counter(candidates).most_common(1)[0][0]
    return f"working it out\n{_format(prompt, value)}"


def solver() -> FakeLLM:
    return FakeLLM(reply=solver_reply)


class TokenMeter:
    """$1 per million prompt tokens and $2 per million output tokens; worst case likewise."""

    def price(self, *, endpoint, model, usage: Usage, started_at: datetime, batch=False) -> Price:
        return Price(usd=(usage.prompt_tokens + 2 * usage.completion_tokens) / 1e6, source="test")

    def worst_case_usd(self, *, endpoint, model, prompt_tokens, max_tokens, started_at):
        return (prompt_tokens + 2 * max_tokens) / 1e6
