"""One recipe behind the proxy: each request becomes a run of one item in the run store.

Each run goes on a thread of its own, in its own event loop (`Job`), as `pipe run` would: the
run store groups a run's writes into transactions that stay open across awaits, so two runs
sharing one event loop would wait on each other's SQLite lock with the loop blocked. Separate
threads wait for the lock without stopping each other. The embedded upstream's weights are
loaded once per process; each run gets its own engine over them, as `pipe run` does.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pipelines
from pipelines import InputError, RecipeError, RunOptions, RunResult
from pipelines.execution.accuracy import final_vote
from pipelines.proxy.errors import ProxyError
from pipelines.storage import RunStore

FORMATS = {"boxed": "\\boxed{{{}}}", "answer_tag": "<answer>{}</answer>"}
"""How the voted answer is written back, by the final vote's `extract`: the form the recipe's
own prompts ask the model for, so a client's answer extraction finds it (others: as is)."""
PLANS_KEPT = 256


@dataclass(frozen=True)
class ProxySettings:
    """How `pipe serve --recipe` runs its recipe."""

    recipe: str | Path
    upstream: str | None = None
    """`embedded`, a base URL, or None for the recipe's own endpoint."""
    store: str | Path = ".pipe"
    max_cost: float | None = None
    """USD per request: the budget of a request that sets none, and the most one may set."""
    allow_unpriced: bool = False
    pricing: str | None = None
    max_body_bytes: int = 4 * 2**20
    progress_s: float = 0.5
    """Seconds between progress chunks of a streamed request."""
    max_runs: int = 16
    """Requests run at once; more wait for a free slot (`pipe serve --max-runs`)."""


class RecipeService:
    """The recipe, checked once at start, and what each request runs it with."""

    def __init__(self, settings: ProxySettings):
        self.settings = settings
        plan = pipelines.validate(settings.recipe, None, _dataset("probe", None), settings.pricing,
                                  endpoint=settings.upstream)
        if "answer" not in plan.recipe.outputs:
            raise InputError(f"{settings.recipe}: recipe {plan.name!r} has no `answer` output, "
                             "so the proxy has nothing to answer with\n    fix: add "
                             "`answer: ${VOTE.output.answer}` under `outputs:`")
        self.name: str = plan.name
        self.params: set[str] = set(plan.recipe.params)
        self.runs = ThreadPoolExecutor(settings.max_runs, thread_name_prefix="pipe-proxy-run")
        self._formats: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self.created = int(time.time())

    def answer_format(self, params: dict[str, Any]) -> str:
        """The final vote's `extract` under `params`; validates them (400 naming the field)
        the first time these params are seen, before anything is spent. Thread-safe."""
        with self._lock:
            return self._answer_format(params)

    def _answer_format(self, params: dict[str, Any]) -> str:
        key = json.dumps(params, sort_keys=True, default=str)
        if key not in self._formats:
            try:
                plan = pipelines.validate(self.settings.recipe, params, _dataset("probe", None),
                                          self.settings.pricing, endpoint=self.settings.upstream)
            except InputError as exc:
                raise as_proxy_error(exc) from None
            vote = final_vote(plan)
            self._formats[key] = vote.config.extract if vote is not None else "none"
            while len(self._formats) > PLANS_KEPT:
                self._formats.popitem(last=False)
        self._formats.move_to_end(key)
        return self._formats[key]

    def budget(self, asked: float | None) -> float | None:
        ceiling = self.settings.max_cost
        if asked is not None and ceiling is not None and asked > ceiling:
            raise ProxyError(400, f"pipe.max_cost ${asked:g} is over this server's limit of "
                             f"${ceiling:g} per request (pipe serve --max-cost)",
                             param="pipe.max_cost")
        return asked if asked is not None else ceiling

    def options(self, question: str, gold: Any, max_cost: float | None, resume: str | None,
                on_start: Callable[[str, Any], None]) -> RunOptions:
        s = self.settings
        if resume is not None:
            self._check_resume(resume, item_id(question))
        return RunOptions(endpoint=s.upstream, store=s.store, resume=resume,
                          max_cost=self.budget(max_cost), allow_unpriced=s.allow_unpriced,
                          pricing=s.pricing, dataset=_dataset(question, gold),
                          on_start=on_start)

    async def run(self, params: dict[str, Any], options: RunOptions
                  ) -> tuple[RunResult, Summary]:
        """The run (on a worker thread: see the module doc) and its summed calls."""
        try:
            result = await pipelines.arun(self.settings.recipe, params, options)
        except InputError as exc:
            raise as_proxy_error(exc) from None
        return result, run_summary(self.settings.store, result.run_id)

    def _check_resume(self, run_id: str, item: str) -> None:
        store = RunStore(self.settings.store)
        try:
            prior = store.run(run_id)
            items = {i["item_id"] for i in store.items(run_id)} if prior else set()
        finally:
            store.close()
        if prior is None or prior["recipe_name"] != self.name:
            raise ProxyError(404, f"no run {run_id!r} of recipe {self.name!r} in "
                             f"{self.settings.store} to resume", param="pipe.resume",
                             code="run_not_found")
        if items and item not in items:
            raise ProxyError(400, f"run {run_id} answered another question; resume it with "
                             "the same messages", param="pipe.resume")


def item_id(question: str) -> str:
    """The item's id: the same question is the same item (a resumed run finds it)."""
    return "q-" + hashlib.sha256(question.encode()).hexdigest()[:12]


def _dataset(question: str, gold: Any) -> dict[str, Any]:
    return {"source": "inline",
            "items": [{"id": item_id(question), "question": question, "answer": gold}]}


def format_answer(answer: Any, extract: str) -> str:
    if answer is None:
        return ""
    return FORMATS.get(extract, "{}").format(answer)


Summary = tuple[dict[str, Any], dict[str, Any]]
"""(OpenAI `usage`, the run's figures for the `pipe` object)."""


def run_summary(store: str | Path, run_id: str) -> Summary:
    """(OpenAI `usage` summed over every call of the run, the `pipe` figures of the run)."""
    runs = RunStore(store)
    try:
        calls = [c for c in runs.calls(run_id) if c.status == "ok"]
    finally:
        runs.close()
    tokens = {name: sum(getattr(c, name) or 0 for c in calls) for name in
              ("prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens")}
    usage = {"prompt_tokens": tokens["prompt_tokens"],
             "completion_tokens": tokens["completion_tokens"],
             "total_tokens": tokens["prompt_tokens"] + tokens["completion_tokens"],
             "prompt_tokens_details": {"cached_tokens": tokens["cached_tokens"]},
             "completion_tokens_details": {"reasoning_tokens": tokens["reasoning_tokens"]}}
    figures = {"run_id": run_id, "usd": sum(c.cost_usd or 0.0 for c in calls),
               "unpriced_calls": sum(1 for c in calls if c.cost_usd is None),
               "calls": len(calls), "cache_hits": sum(c.cache_hit or 0 for c in calls)}
    return usage, figures


_FLAG = re.compile(r"-p (\w+)=(\S+)")


def as_proxy_error(exc: InputError) -> ProxyError:
    """A refused input as a 400 that names the field (a param's in extra_body)."""
    issues = exc.issues if isinstance(exc, RecipeError) else []
    text = "; ".join(str(i) for i in issues) if issues else str(exc)
    text = _FLAG.sub(r'extra_body {"\1": \2}', text.replace("command line (-p)", "extra_body"))
    named = re.search(r"param '?(\w+)'?", issues[0].message) if issues else None
    return ProxyError(400, text, param=named.group(1) if named else None,
                      code="invalid_param" if named else "invalid_request")
