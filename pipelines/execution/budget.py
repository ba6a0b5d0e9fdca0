"""`--max-cost` as a reservation ledger: a call reserves its worst case before it is sent."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.errors import BudgetExceeded
from pipelines.figures import format_usd


@dataclass
class Budget:
    """Refuses a new call once spent + worst case of calls in flight would pass `max_usd`."""

    max_usd: float | None = None
    """The budget in USD; None: no limit."""
    spent: float = 0.0
    """What was spent so far, including earlier attempts of a resumed run."""
    reserved: float = 0.0
    """Worst cases of the calls in flight."""
    exhausted: bool = False
    """Set by the first refusal; no call starts after it."""
    allow_unpriced: bool = False
    """Admit a call whose worst case is unknown (no price) as if it cost $0."""

    def reserve(self, worst: float | None) -> float:
        """Reserve `worst` USD for one call, or raise BudgetExceeded; returns the reservation.

        An unknown worst case (None) cannot be kept within a budget: it is refused unless
        `allow_unpriced`."""
        if self.max_usd is None:
            return 0.0
        if worst is None and not self.allow_unpriced:
            self.exhausted = True
            raise BudgetExceeded(f"no price known for this call, so --max-cost "
                                 f"${self.max_usd:.4f} cannot be kept (price the model, or "
                                 "accept unpriced calls with --allow-unpriced)")
        worst = worst or 0.0
        if self.exhausted or self.spent + self.reserved + worst > self.max_usd:
            self.exhausted = True
            raise BudgetExceeded(f"budget of {format_usd(self.max_usd)} reached (spent "
                                 f"{format_usd(self.spent)}, in flight {format_usd(self.reserved)})")
        self.reserved += worst
        return worst

    def settle(self, reserved: float, actual: float | None) -> None:
        """Release a call's reservation and book what it actually cost."""
        self.reserved -= reserved
        self.spent += actual or 0.0
