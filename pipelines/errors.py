"""Every exception `pipe` raises on purpose, in one place.

    PipeError
    ├── InputError            bad input; exit code 2, nothing spent, nothing written
    │   └── RecipeError       a recipe failed validation (carries every Issue found)
    ├── CallError             one LLM call failed (the item fails, the run goes on)
    │   ├── FatalCallError    the server refused it (400/401/403/404/422); not retried
    │   └── RetriesExhausted  429/5xx/timeouts/drops until the retry budget ran out
    ├── CacheMiss             --offline and the response cache has no answer
    └── BudgetExceeded        --max-cost reached; exit code 3, partial results kept
"""

from __future__ import annotations

from dataclasses import dataclass


class PipeError(Exception):
    """Base class of every error `pipe` raises deliberately."""

    exit_code = 1


@dataclass(frozen=True)
class Issue:
    """One validation problem: what is wrong, where, and how to fix it."""

    message: str
    where: str = ""
    """`file:line` when known, else a field path such as `nodes.solve.n`."""
    fix: str = ""

    def __str__(self) -> str:
        head = f"{self.where}: {self.message}" if self.where else self.message
        return f"{head}\n    fix: {self.fix}" if self.fix else head


class InputError(PipeError):
    exit_code = 2


class RecipeError(InputError):
    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class CallError(PipeError):
    def __init__(self, message: str, *, request_id: str | None = None, status: int | None = None):
        self.request_id = request_id
        self.status = status
        where = f" (request {request_id})" if request_id else ""
        super().__init__(f"{message}{where}")


class FatalCallError(CallError):
    pass


class RetriesExhausted(CallError):
    pass


class CacheMiss(PipeError):
    pass


class BudgetExceeded(PipeError):
    exit_code = 3
