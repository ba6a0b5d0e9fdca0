"""Cluster a population's answers by an equivalence and pick the majority (the paper's rule)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence


@dataclass
class Cluster:
    answer: str
    """The first member's answer: the cluster's representative, compared first in equivalences."""
    members: list[int] = field(default_factory=list)
    """Indices into the population, in population order."""

    @property
    def count(self) -> int:
        return len(self.members)


def cluster_answers(
    answers: Sequence[str | None], equivalent: Callable[[str, str], bool]
) -> list[Cluster]:
    """Greedy clustering in population order: each answer joins the first cluster whose
    representative it is equivalent to, else starts a new one. No-answers join nothing."""
    clusters: list[Cluster] = []
    for index, answer in enumerate(answers):
        if answer is None:
            continue
        home = next((c for c in clusters if equivalent(c.answer, answer)), None)
        if home is None:
            home = Cluster(answer)
            clusters.append(home)
        home.members.append(index)
    return clusters


def majority(clusters: Sequence[Cluster]) -> Cluster | None:
    """The largest cluster; ties go to the earliest. None when no member gave an answer."""
    best: Cluster | None = None
    for cluster in clusters:
        if best is None or cluster.count > best.count:
            best = cluster
    return best
