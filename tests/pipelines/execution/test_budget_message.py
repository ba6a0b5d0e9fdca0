"""The budget refusal names amounts with meaningful digits, not `$0.0000`."""

from __future__ import annotations

import pytest

from pipelines import BudgetExceeded
from pipelines.execution.budget import Budget


def test_budget_message_shows_significant_digits():
    budget = Budget(max_usd=0.00005)
    budget.settle(budget.reserve(0.00004), 0.0000412)
    held = budget.reserve(0.0000031)
    with pytest.raises(BudgetExceeded) as refused:
        budget.reserve(0.00001)
    assert held == 0.0000031
    assert str(refused.value) == ("budget of $0.0000500 reached "
                                  "(spent $0.0000412, in flight $0.00000310)")
