"""reasoning-gym as a dataset source (the `reasoning_gym` entry of `pipe.datasets`, pyproject.toml).

Items are `{id, question, answer}` (answer None where the task is judged by simulation) plus how
to judge them: `answer_format: answer_tag`, `equivalence: normalized`, and a `reasoning_gym`
entry reference so that the task's own scorer can judge them (see `evals.scoring.rg`).
Bad input raises `InputError` naming what is wrong, before anything is spent.
"""

from __future__ import annotations

import difflib
from typing import Any, Iterator

from evals.scoring.rg import dataset as rg_dataset
from evals.scoring.rg import entry_ref, task_names
from pipelines.errors import InputError


def reasoning_gym_items(task: str | None = None, size: int = 10, seed: int = 0,
                        **config: Any) -> list[dict]:
    """`size` items of a reasoning-gym task, generated locally from `seed`.

    Extra keyword options are the task's own config fields (difficulty ranges and the like).
    """
    return list(iter_reasoning_gym_items(task, size, seed, **config))


def iter_reasoning_gym_items(task: str | None = None, size: int = 10, seed: int = 0,
                             **config: Any) -> Iterator[dict]:
    """`reasoning_gym_items` made as they are read (the `reasoning_gym` dataset source): the
    options are checked at the call, each item is generated when the run reaches it."""
    names = task_names()
    if task is None:
        raise InputError(f"dataset source reasoning_gym needs `task:`; valid tasks: {', '.join(names)}")
    if task not in names:
        close = difflib.get_close_matches(task, names, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise InputError(
            f"unknown reasoning-gym task {task!r}; {hint}valid tasks: {', '.join(names)}"
        )
    _check_count("size", size, minimum=1)
    _check_count("seed", seed, minimum=0)
    try:
        ds = rg_dataset(task, size, seed, config)
    except Exception as exc:  # the task's config dataclass rejects unknown or invalid fields
        raise InputError(
            f"reasoning-gym task {task!r} rejected options {config}: {exc}\n"
            f"    fix: use the fields of the task's config class"
        ) from exc
    return (_item(ds[index], task, size, seed, index, config) for index in range(size))


def _item(entry: dict, task: str, size: int, seed: int, index: int, config: dict) -> dict:
    answer = entry["answer"]
    return {
        "id": f"{task}-{index}",
        "question": entry["question"],
        "answer": None if answer is None else str(answer),
        "answer_format": "answer_tag",
        "equivalence": "normalized",
        "reasoning_gym": entry_ref(task, size, seed, index, config),
    }


def _check_count(name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InputError(f"dataset option {name} must be an integer >= {minimum}, got {value!r}")
