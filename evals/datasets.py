"""Dataset sources for recipes and suites: each returns a list of item dicts.

Every item has `id`, `question` and `answer` (None where a task is judged by simulation), plus
how to judge it: `answer_format` (the extractor: `boxed` or `answer_tag`) and `equivalence`
(`math`, `normalized`, `exact`); reasoning-gym items also carry a `reasoning_gym` entry
reference so that the task's own scorer can judge them (see `evals.scoring.rg`).
Bad input raises `InputError` naming what is wrong and where, before anything is spent.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from evals.scoring import EQUIVALENCES, EXTRACTORS
from evals.scoring.rg import dataset as rg_dataset
from evals.scoring.rg import entry_ref, task_names
from pipelines.errors import InputError


def reasoning_gym_items(task: str, size: int = 10, seed: int = 0, **config: Any) -> list[dict]:
    """`size` items of a reasoning-gym task, generated locally from `seed`.

    Extra keyword options are the task's own config fields (difficulty ranges and the like).
    """
    names = task_names()
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
    items = []
    for index in range(size):
        entry = ds[index]
        answer = entry["answer"]
        items.append({
            "id": f"{task}-{index}",
            "question": entry["question"],
            "answer": None if answer is None else str(answer),
            "answer_format": "answer_tag",
            "equivalence": "normalized",
            "reasoning_gym": entry_ref(task, size, seed, index, config),
        })
    return items


def jsonl_items(
    path: str | Path,
    size: int | None = None,
    answer_format: str = "boxed",
    equivalence: str = "math",
) -> list[dict]:
    """Items from a JSONL file of `{"question": ..., "answer": ...}` objects (other keys kept).

    `size` keeps the first `size` items. Blank lines are skipped; ids default to `FILE-LINE`.
    """
    path = Path(path)
    if answer_format not in EXTRACTORS:
        raise InputError(f"unknown answer_format {answer_format!r}; valid: {', '.join(EXTRACTORS)}")
    if equivalence not in EQUIVALENCES:
        raise InputError(f"unknown equivalence {equivalence!r}; valid: {', '.join(EQUIVALENCES)}")
    if size is not None:
        _check_count("size", size, minimum=1)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read dataset {path}: {exc.strerror or exc}") from exc
    items = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            items.append(_jsonl_item(path, number, line, answer_format, equivalence))
    if not items:
        raise InputError(f"{path}: no items (expected one JSON object per line)")
    return items[:size] if size is not None else items


def _jsonl_item(path: Path, number: int, line: str, answer_format: str, equivalence: str) -> dict:
    where = f"{path}:{number}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON ({exc.msg})") from exc
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected a JSON object with question and answer")
    missing = [key for key in ("question", "answer") if row.get(key) in (None, "")]
    if missing:
        raise InputError(
            f"{where}: missing {' and '.join(missing)}\n"
            f'    fix: every line needs {{"question": "...", "answer": "..."}}'
        )
    return {
        **row,
        "id": str(row.get("id", f"{path.stem}-{number}")),
        "question": str(row["question"]),
        "answer": str(row["answer"]),
        "answer_format": answer_format,
        "equivalence": equivalence,
    }


def _check_count(name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InputError(f"dataset option {name} must be an integer >= {minimum}, got {value!r}")
