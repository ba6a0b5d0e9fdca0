"""Answers: named extractors and equivalences, and the greedy clustering votes are made of.

The `vote` node (and eval suites) name extractors and equivalences; the engine ships `none`
and `exact`, other packages register more (`evals` adds `boxed`, `answer_tag`, `normalized`,
`math`) through the `pipe.extractors` / `pipe.equivalences` entry points (`pipelines.plugins`).
"""

from __future__ import annotations

from typing import Any, Callable

from pipelines.plugins import EQUIVALENCES, EXTRACTORS

Extractor = Callable[[str], "str | None"]
Equivalence = Callable[[str, str], bool]


def whole_text(text: str) -> str | None:
    """The `none` extractor: the whole reply, stripped (None when empty)."""
    text = text.strip()
    return text or None


def exact(a: str, b: str) -> bool:
    """The `exact` equivalence: the same string."""
    return a == b


def register_extractor(name: str, fn: Extractor) -> None:
    """Add an extractor at run time (packages register theirs as entry points)."""
    EXTRACTORS.register(name, fn)


def register_equivalence(name: str, fn: Equivalence) -> None:
    """Add an equivalence at run time (packages register theirs as entry points)."""
    EQUIVALENCES.register(name, fn)


def extractor(name: str) -> Extractor:
    """The extractor registered as `name` (KeyError naming the known ones)."""
    return EXTRACTORS.get(name)


def equivalence(name: str) -> Equivalence:
    """The equivalence registered as `name` (KeyError naming the known ones)."""
    return EQUIVALENCES.get(name)


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
