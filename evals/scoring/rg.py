"""reasoning-gym tasks: generate them locally and score with the task's own scorer.

An item does not carry reasoning-gym's `metadata` (not always JSON-safe, and some scorers read it
back with its Python types); it carries how to regenerate its entry — task, size, seed, index,
config — and scoring regenerates the entry, which the generator makes identical every time.
Tasks whose answer is None (rush_hour, boxnet, rubiks_cube, ...) are scored by simulating the
answer, which the task's scorer does.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any, Final, Mapping

log = logging.getLogger(__name__)

CORRECT_SCORE: Final = 1.0
"""reasoning-gym scores in 0..1 and gives small partial credit (0.01) for well-formed wrong
answers; only a full score counts as correct."""


def task_names() -> list[str]:
    """Every reasoning-gym task name, sorted."""
    import reasoning_gym.factory  # heavy (~1 s, sympy and more): loaded when a task is used

    return sorted(reasoning_gym.factory.DATASETS)


@lru_cache(maxsize=64)
def _dataset(task: str, size: int, seed: int, config_json: str) -> Any:
    import reasoning_gym  # heavy (~1 s, sympy and more): loaded when a task is used

    return reasoning_gym.create_dataset(task, size=size, seed=seed, **json.loads(config_json))


def dataset(task: str, size: int, seed: int, config: Mapping[str, Any] | None = None) -> Any:
    """The reasoning-gym dataset object (cached: regenerating entries is then cheap)."""
    return _dataset(task, size, seed, json.dumps(dict(config or {}), sort_keys=True))


def entry_ref(task: str, size: int, seed: int, index: int, config: Mapping[str, Any]) -> dict:
    """What an item stores to find its reasoning-gym entry again."""
    return {"task": task, "size": size, "seed": seed, "index": index, "config": dict(config)}


def rg_score(ref: Mapping[str, Any], answer: str | None) -> float:
    """The task's own score (0..1) for `answer` on the entry `ref` points to; 0 for no answer."""
    if answer is None:
        return 0.0
    ds = dataset(ref["task"], ref["size"], ref["seed"], ref.get("config"))
    entry = ds[ref["index"]]
    try:
        return float(ds.score_answer(answer, entry))
    except Exception as exc:  # a scorer tripping on odd model output is a wrong answer, not a crash
        log.warning("reasoning-gym %s scorer failed on %r: %s", ref["task"], answer[:80], exc)
        return 0.0
