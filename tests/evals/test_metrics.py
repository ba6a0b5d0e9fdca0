import pytest

from evals.metrics import (accuracy_per_dollar, error_bar, mean_step_metrics, newcombe_interval,
                           pareto_frontier, wilson_interval)


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


def test_wilson_bounds_are_exact_at_0_and_100_percent():
    # 0/3 used to give a lower bound of 5.55e-17 > 0: a negative error bar to matplotlib
    assert wilson_interval(0, 3) == (0.0, pytest.approx(0.561497, abs=1e-6))
    assert wilson_interval(0, 3)[0] == 0.0
    assert wilson_interval(3, 3) == (pytest.approx(0.438503, abs=1e-6), 1.0)
    assert wilson_interval(3, 3)[1] == 1.0


def test_error_bars_are_never_negative():
    assert error_bar(0.0, (0.0, 0.5615)) == (0.0, 0.5615)
    assert error_bar(1.0, (0.4385, 1.0)) == (pytest.approx(0.5615), 0.0)
    assert error_bar(0.0, (5.55e-17, 0.5)) == (0.0, 0.5)  # a bound a hair past the point
    assert error_bar(1.0, (0.4, 1.0 - 1e-16)) == (pytest.approx(0.6), 0.0)


def test_newcombe_interval_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 vs 48/80,
    # method 10 (hybrid score): 0.2000 [0.0524, 0.3339]
    diff, low, high = newcombe_interval(48, 80, 56, 70)
    assert diff == pytest.approx(0.2)
    assert (low, high) == (pytest.approx(0.0524, abs=5e-5), pytest.approx(0.3339, abs=5e-5))


def test_newcombe_interval_at_the_edges_by_hand():
    # A 0/3, B 3/3. Wilson: A [0, u], B [1 - u, 1] with u = 0.561497 (see above).
    # low = 1 - sqrt((1 - (1 - u))^2 + (u - 0)^2) = 1 - u * sqrt(2) = 0.205923; high = 1 + 0 = 1
    diff, low, high = newcombe_interval(0, 3, 3, 3)
    assert diff == 1.0 and high == 1.0
    assert low == pytest.approx(1 - 0.5614970 * 2 ** 0.5, abs=1e-6)
    # 1/3 vs 1/3: Wilson [0.061492, 0.792340]; high = sqrt((0.792340 - 1/3)^2 + (1/3 - 0.061492)^2)
    # = sqrt(0.210687 + 0.073898) = 0.533465, and low = -high
    diff, low, high = newcombe_interval(1, 3, 1, 3)
    assert diff == 0.0 and high == pytest.approx(0.533465, abs=1e-6) and low == pytest.approx(-high)
