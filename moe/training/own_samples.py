"""The pool of the model's own samples (`own_samples.jsonl` in a run directory) that the mixture's
`aggregate_own` source draws candidates from; `moe.training.self_play` fills it. No torch here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from moe.data import boxed_answer

WRONG_SHARE = 0.75
"""Share of draws taken from problems where at least one sample is wrong (when there are any)."""


@dataclass(frozen=True)
class OwnEntry:
    question: str
    solution: str
    """The correct worked solution (the aggregation target)."""
    answer: str
    samples: tuple[str, ...]


class OwnSamples:
    """The pool of own samples; `draw(rng)` favours problems the model got wrong at least once."""

    def __init__(self, entries: list[OwnEntry]):
        if not entries:
            raise ValueError("the own-sample pool is empty")
        self.entries = entries
        self.with_wrong = [e for e in entries if any(boxed_answer(s) != e.answer for s in e.samples)]

    def draw(self, rng: np.random.Generator) -> OwnEntry:
        pool = self.with_wrong if self.with_wrong and rng.random() < WRONG_SHARE else self.entries
        return pool[int(rng.integers(len(pool)))]

    def accuracy(self) -> float:
        """Share of samples with the right answer (how well the model solved when sampled)."""
        return float(np.mean([boxed_answer(s) == e.answer for e in self.entries for s in e.samples]))

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(asdict(e)) + "\n" for e in self.entries), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "OwnSamples":
        rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]
        return cls([OwnEntry(r["question"], r["solution"], r["answer"], tuple(r["samples"])) for r in rows])
