"""Named answer extractors and equivalences, looked up lazily by import string.

The `vote` node (and eval suites) refer to them by name; `evals.scoring` implements them.
Register more with `register_extractor` / `register_equivalence` (an import string
"module:function" or a callable).
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

Extractor = Callable[[str], "str | None"]
Equivalence = Callable[[str, str], bool]

EXTRACTORS: dict[str, Any] = {
    "boxed": "evals.scoring.extract:extract_boxed",
    "answer_tag": "evals.scoring.extract:extract_answer_tag",
    "none": "pipelines.answers:whole_text",
}
EQUIVALENCES: dict[str, Any] = {
    "exact": "pipelines.answers:exact",
    "normalized": "evals.scoring.equivalence:normalized_equal",
    "math": "evals.scoring.equivalence:math_equal",
}


def whole_text(text: str) -> str | None:
    text = text.strip()
    return text or None


def exact(a: str, b: str) -> bool:
    return a == b


def register_extractor(name: str, fn: Any) -> None:
    EXTRACTORS[name] = fn


def register_equivalence(name: str, fn: Any) -> None:
    EQUIVALENCES[name] = fn


def _resolve(table: dict[str, Any], name: str, what: str) -> Callable:
    if name not in table:
        raise KeyError(f"unknown {what} {name!r}; known: {sorted(table)}")
    target = table[name]
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module), attr)
        table[name] = target
    return target


def extractor(name: str) -> Extractor:
    return _resolve(EXTRACTORS, name, "extractor")


def equivalence(name: str) -> Equivalence:
    return _resolve(EQUIVALENCES, name, "equivalence")


def cluster(answers: list[str | None], equal: Equivalence) -> list[dict[str, Any]]:
    """Greedy clustering in order of appearance; `None` (no answer) never joins a cluster."""
    clusters: list[dict[str, Any]] = []
    for index, answer in enumerate(answers):
        if answer is None:
            continue
        for c in clusters:
            if equal(c["answer"], answer):
                c["count"] += 1
                c["members"].append(index)
                break
        else:
            clusters.append({"answer": answer, "count": 1, "members": [index]})
    return clusters


def majority(clusters: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The largest cluster; ties go to the earliest one."""
    best = None
    for c in clusters:
        if best is None or c["count"] > best["count"]:
            best = c
    return best
