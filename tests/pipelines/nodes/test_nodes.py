"""groups sampling statistics and vote ties."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from pipelines.answers import cluster, exact, majority
from pipelines.nodes.base import NodeRun
from pipelines.nodes.groups import draw_groups


def test_groups_have_distinct_members_and_are_reproducible():
    population = list(range(8))
    a = draw_groups(population, 8, 4, random.Random(7))
    b = draw_groups(population, 8, 4, random.Random(7))
    assert a == b
    assert all(len(set(g)) == 4 for g in a)
    assert draw_groups(population, 8, 4, random.Random(8)) != a


def test_groups_are_uniform_and_independent():
    # Each member is in a given group with probability K/N; groups are independent, so a member
    # can appear in several groups or none (probability (1-K/N)^N that it appears nowhere).
    n, k, trials = 8, 3, 4000
    rng = random.Random(0)
    membership = Counter()
    absent = 0
    for _ in range(trials):
        groups = draw_groups(list(range(n)), n, k, rng)
        membership.update(m for g in groups for m in g)
        absent += sum(1 for m in range(n) if all(m not in g for g in groups))
    expected = trials * n * k / n
    assert all(abs(membership[m] - expected) / expected < 0.05 for m in range(n))
    p_absent = (1 - k / n) ** n
    assert abs(absent / (trials * n) - p_absent) < 0.01


def test_per_item_rng_differs_between_items_and_is_stable():
    def ctx(item_id):
        return NodeRun(item={"id": item_id}, params={}, env={}, chat=None, recipe_dir=None,
                       artifacts_dir=None, seed=3)
    assert ctx("a").rng("g").random() == ctx("a").rng("g").random()
    assert ctx("a").rng("g").random() != ctx("b").rng("g").random()
    assert ctx("a").rng("g").random() != ctx("a").rng("h").random()


def test_groups_larger_than_population_is_an_error():
    with pytest.raises(ValueError, match="groups of 5 from a population of 3"):
        draw_groups([1, 2, 3], 2, 5, random.Random(0))


def test_vote_tie_goes_to_the_earliest_cluster():
    clusters = cluster(["7", "5", "5", "7", None, "9"], exact)
    assert [c["answer"] for c in clusters] == ["7", "5", "9"]
    assert majority(clusters)["answer"] == "7"


def test_no_answer_never_wins():
    clusters = cluster([None, None, "3"], exact)
    assert majority(clusters) == {"answer": "3", "count": 1, "members": [2]}
    assert majority(cluster([None, None], exact)) is None
