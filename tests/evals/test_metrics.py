import pytest

from evals.metrics import accuracy_per_dollar, mean_step_metrics, pareto_frontier, wilson_interval


def test_wilson_interval_matches_known_values():
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    low, high = wilson_interval(0, 20)
    assert low == 0.0 and high == pytest.approx(0.1611, abs=1e-4)
    assert wilson_interval(5, 5)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_mean_step_metrics_pools_tokens_over_outputs():
    per_item = [
        {"mean_acc": 0.5, "majority_acc": 1.0, "pass_at_n": 1.0},
        {"mean_acc": 0.0, "majority_acc": 0.0, "pass_at_n": 0.0},
    ]
    result = mean_step_metrics(per_item, [10, 30, 20, 40, 1000])
    assert result == {"items": 2, "mean_acc": 0.25, "majority_acc": 0.5, "pass_at_n": 0.5,
                      "mean_tokens": 220.0, "median_tokens": 30.0}


def test_mean_step_metrics_without_items_or_tokens():
    assert mean_step_metrics([], []) == {"items": 0, "mean_acc": 0.0, "majority_acc": 0.0,
                                         "pass_at_n": 0.0, "mean_tokens": None,
                                         "median_tokens": None}


def test_accuracy_per_dollar():
    assert accuracy_per_dollar(0.5, 0.25) == 2.0
    assert accuracy_per_dollar(0.5, None) is None
    assert accuracy_per_dollar(0.5, 0.0) is None


def test_pareto_frontier():
    points = [(1.0, 0.5), (2.0, 0.4), (2.0, 0.7), (3.0, 0.7), (None, 0.99), (0.5, 0.1), (4.0, 0.9)]
    assert pareto_frontier(points) == [5, 0, 2, 6]
    assert pareto_frontier([]) == []
