"""Dollars with significant digits; Wilson intervals exact at the edges; accuracy text."""

from __future__ import annotations

import pytest

from pipelines import Accuracy, format_usd, wilson_interval


@pytest.mark.parametrize("value, text", [
    (0, "$0"), (0.0000172, "$0.0000172"), (0.000017, "$0.0000170"), (0.0000999999, "$0.000100"),
    (0.123456, "$0.123"), (0.9999, "$1.00"), (12.346, "$12.35"), (1234.5, "$1,234.50"),
    (-0.003, "-$0.00300"), (None, "unknown"),
])
def test_dollars_keep_three_significant_digits_under_a_dollar(value, text):
    assert format_usd(value) == text


def test_unpriced_calls_are_named_next_to_the_figure():
    assert format_usd(0.5, 3) == "$0.500 (+3 unpriced)"


def test_budget_sized_amounts_never_print_as_zero():
    # the "budget of $0.0000 reached (spent $0.0000...)"
    assert format_usd(0.00004) == "$0.0000400"
    assert format_usd(0.0000012) == "$0.00000120"


@pytest.mark.parametrize("n", [1, 3, 12, 1000])
def test_wilson_is_exactly_zero_and_one_at_the_edges(n):
    assert wilson_interval(0, n)[0] == 0.0
    assert wilson_interval(n, n)[1] == 1.0


def test_wilson_matches_the_textbook_value():
    low, high = wilson_interval(7, 12)
    assert (round(low, 4), round(high, 4)) == (0.3195, 0.8067)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_accuracy_reads_as_correct_over_total_with_its_interval():
    acc = Accuracy(7, 12)
    assert str(acc) == "7/12 correct = 58.3% (95% CI 32.0%-80.7%)"
    assert acc.as_dict() == {"correct": 7, "total": 12, "accuracy": 7 / 12,
                             "ci95_low": pytest.approx(0.31951, abs=1e-5),
                             "ci95_high": pytest.approx(0.80674, abs=1e-5)}
    assert str(Accuracy(0, 0)) == "no scored items"
