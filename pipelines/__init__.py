"""`pipe`: declarative YAML pipelines (DAGs) of LLM calls, metered in dollars.

The public API is what this module exports; everything else is internal and may change.

    plan = pipelines.validate("recipes/rsa_math.yaml", {"N": 8})      # spends nothing
    result = pipelines.run("recipes/rsa_math.yaml", {"N": 8},
                           pipelines.RunOptions(max_cost=0.50))
    pipelines.show(result.run_id)["nodes"]
    result.accuracy                       # correct/total with a 95% Wilson interval, or None
    pipelines.export(result.run_id)       # flat rows per item (calls=True: per call)

Errors: every deliberate error is a `PipeError` (tree in `pipelines.errors`); its `exit_code`
is an `ExitCode`. Extensions (node kinds, extractors, datasets, commands) plug in through
entry points: see `pipelines.plugins`.
"""

from pipelines._api import (RunResult, arun, estimate, export, graph, prompt_tokens, run, runs, show,
                            validate)
from pipelines.errors import (BudgetExceeded, CacheMiss, CallError, DatasetError, ExitCode,
                              FatalCallError, InputError, Issue, PipeError, RecipeError, RetriesExhausted)
from pipelines.figures import Accuracy, format_usd, wilson_interval
from pipelines.options import RunOptions
from pipelines.recipe.plan import Plan
from pipelines.recipe.schema import parse_overrides
from pipelines.types import (CallRow, CallStatus, ChatRequest, ChatResult, ItemStatus, Price,
                             RunStatus, Usage)

__all__ = [
    # functions
    "validate", "run", "arun", "estimate", "graph", "show", "runs", "export", "parse_overrides",
    "prompt_tokens",
    # how figures are stated: dollars with significant digits, accuracy with a 95% interval
    "format_usd", "wilson_interval", "Accuracy",
    # options and results
    "RunOptions", "RunResult", "Plan", "CallRow", "ChatRequest", "ChatResult", "Usage", "Price",
    "RunStatus", "ItemStatus", "CallStatus", "ExitCode",
    # errors
    "PipeError", "InputError", "RecipeError", "DatasetError", "Issue", "CallError", "FatalCallError",
    "RetriesExhausted", "CacheMiss", "BudgetExceeded",
]
