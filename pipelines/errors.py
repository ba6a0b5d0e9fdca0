"""Every exception `pipe` raises on purpose, in one place.

    PipeError
    ├── InputError            bad input; exit code 2, nothing spent, nothing written
    │   ├── RecipeError       a recipe failed validation (carries every Issue found)
    │   └── DatasetError      a bad dataset row or a repeated id (file:line); in a large
    │                         JSONL file found while the run goes: it stops, resumable
    ├── CallError             one LLM call failed (the item fails, the run goes on)
    │   ├── FatalCallError    the server refused it (400/401/403/404/422); not retried
    │   └── RetriesExhausted  429/5xx/timeouts/drops until the retry budget ran out
    ├── CacheMiss             --offline and the response cache has no answer
    └── BudgetExceeded        --max-cost reached; exit code 3, partial results kept

`ExitCode` is the one definition of what `pipe` exits with: runs, eval suites and batch jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """The process exit status of every `pipe` command."""

    OK = 0
    FAILED = 1
    """Some items (or requests) failed; partial results are kept."""
    BAD_INPUT = 2
    """The input was refused before anything was spent or written."""
    BUDGET = 3
    """--max-cost was reached; partial results are kept."""


class PipeError(Exception):
    """Base class of every error `pipe` raises deliberately."""

    exit_code = ExitCode.FAILED


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
    """Bad input (a recipe, a flag, a file): refused before anything is spent."""

    exit_code = ExitCode.BAD_INPUT


class RecipeError(InputError):
    """A recipe failed validation; `issues` holds every problem found, in file order."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class DatasetError(InputError):
    """A dataset row is bad or an item id repeats. A small file is checked before the run; a
    large JSONL file while it runs (`pipelines.recipe.jsonl`), which then stops, resumable."""


class CallError(PipeError):
    """One LLM call failed; carries the request id and HTTP status when known."""

    def __init__(self, message: str, *, request_id: str | None = None, status: int | None = None):
        self.request_id = request_id
        self.status = status
        where = f" (request {request_id})" if request_id else ""
        super().__init__(f"{message}{where}")


class FatalCallError(CallError):
    """The server refused the call (400/401/403/404/422); retrying cannot help."""


class RetriesExhausted(CallError):
    """429s, 5xx, timeouts or dropped connections until the retry budget ran out."""


class CacheMiss(PipeError):
    """--offline was asked and the response cache has no answer for a call."""


class BudgetExceeded(PipeError):
    """--max-cost would be passed by the next call; partial results are kept."""

    exit_code = ExitCode.BUDGET
