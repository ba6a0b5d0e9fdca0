"""`--max-cost` as a reservation ledger: a call reserves its worst case before it is sent."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.errors import BudgetExceeded


@dataclass
class Budget:
    """Refuses a new call once spent + worst case of calls in flight would pass `max_usd`."""

    max_usd: float | None = None
    """The budget in USD; None: no limit."""
    spent: float = 0.0
    reserved: float = 0.0
    """Worst cases of the calls in flight."""
    exhausted: bool = False
    """Set by the first refusal; no call starts after it."""

    def reserve(self, worst: float | None) -> float:
        """Reserve `worst` USD for one call, or raise BudgetExceeded; returns the reservation."""
        if self.max_usd is None:
            return 0.0
        worst = worst or 0.0
        if self.exhausted or self.spent + self.reserved + worst > self.max_usd:
            self.exhausted = True
            raise BudgetExceeded(f"budget of ${self.max_usd:.4f} reached "
                                 f"(spent ${self.spent:.4f}, in flight ${self.reserved:.4f})")
        self.reserved += worst
        return worst

    def settle(self, reserved: float, actual: float | None) -> None:
        """Release a call's reservation and book what it actually cost."""
        self.reserved -= reserved
        self.spent += actual or 0.0
