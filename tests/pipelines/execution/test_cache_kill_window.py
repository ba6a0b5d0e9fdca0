"""kill -9 after a paid call's response is cached but before its row's group commit: the resume
finds the run's own cache entry and no row, and records the call at its price (it was billed),
not as a free cache hit, without sending it again. Fault injection: the process exits inside
`ResponseCache.put`, right after the entry is written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pipelines
from pipelines import RunOptions
from pipelines.storage.run_store import RunStore
from tests.pipelines.execution.n_choice_llm import NChoiceLLM
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve
from tests.pipelines.proxy.conftest import SHEET  # priced-model: $100 in, $20,000 out per 1M

ROOT = Path(__file__).resolve().parents[3]
RECIPE = """\
name: window
model: priced-model
pricing: sheet.yaml
params:
  N: {type: int, default: 1}
dataset:
  source: inline
  items: [{id: a, question: "What is 2+3?"}]
nodes:
  solve:
    kind: llm
    prompt: solve.j2
    vars: {question: "${item.question}"}
    n: ${params.N}
    temperature: 1.0
    max_tokens: 40
    seed: 3
outputs:
  solved: ${solve.output}
"""
KILLED = """\
import os, sys
import pipelines
from pipelines.storage.response_cache import ResponseCache

recipe, url, store, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
budget = float(sys.argv[5]) if len(sys.argv) > 5 else None
real, puts = ResponseCache.put, []

def put(self, *args, **kwargs):
    real(self, *args, **kwargs)
    puts.append(1)
    if len(puts) == n:  # every sample's entry written, its row not yet committed
        os._exit(9)

ResponseCache.put = put
pipelines.run(recipe, {"N": n}, pipelines.RunOptions(endpoint=url, store=store, max_cost=budget))
sys.exit(3)
"""


def kill_in_put(recipe: Path, url: str, store: Path, n: int, *budget: str) -> str:
    """Run the recipe in a process that dies in its n-th cache write; the run's id."""
    killed = subprocess.run([sys.executable, "-c", KILLED, str(recipe), url, str(store), str(n),
                             *budget], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert killed.returncode == 9, killed.stderr
    runs = RunStore(store).runs()
    assert [r["status"] for r in runs] == ["interrupted"]
    return runs[0]["run_id"]


def write(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sheet.yaml").write_text(SHEET)
    (folder / "solve.j2").write_text("Solve: {{ question }}")
    (folder / "recipe.yaml").write_text(RECIPE)
    return folder / "recipe.yaml"


@pytest.mark.parametrize("n, fake", [(1, FakeLLM()), (3, NChoiceLLM())],
                         ids=["one call", "one request for n=3"])
def test_a_call_cached_but_not_committed_is_recorded_at_its_price_on_resume(tmp_path, n, fake):
    recipe, store = write(tmp_path / "recipe"), tmp_path / "store"
    with serve(fake.app) as url:
        run_id = kill_in_put(recipe, url, store, n)
        assert RunStore(store).calls(run_id) == [], "the window was missed: rows committed"
        assert RunStore(store).spent(run_id) == 0.0  # all the store knows before the fix
        assert len(fake.requests) == 1

        result = pipelines.run(None, options=RunOptions(resume=run_id, store=store,
                                                        max_cost=100.0))
    assert result.status == "ok"
    assert len(fake.requests) == 1, "the paid call was not sent again"
    rows = RunStore(store).calls(run_id)
    assert len(rows) == n and {(r.status, r.cache_hit) for r in rows} == {("ok", 0)}
    assert all(r.cost_usd == pytest.approx(r.would_cost_usd) and r.cost_usd > 0 for r in rows)
    paid = sum(r.cost_usd for r in rows)
    assert RunStore(store).spent(run_id) == pytest.approx(paid)
    assert result.stats.usd == pytest.approx(paid) and result.stats.cache_hits == 0

    # another run of the same recipe still gets the cached answers for free
    again = pipelines.run(recipe, {"N": n}, RunOptions(endpoint=url, store=store))
    assert again.stats.cache_hits == n and again.stats.usd == 0.0
    assert len(fake.requests) == 1


def test_under_a_budget_an_n_requests_rows_commit_before_its_cache_entries(tmp_path):
    """Closing the reservation commits the rows; a kill in the cache writes after it leaves
    neither a reservation nor a lost row, so the resume counts the request once."""
    recipe, store, fake = write(tmp_path / "recipe"), tmp_path / "store", NChoiceLLM()
    with serve(fake.app) as url:
        run_id = kill_in_put(recipe, url, store, 3, "100")
        rows = RunStore(store).calls(run_id)
        assert len(rows) == 3 and all(r.cost_usd > 0 for r in rows)
        paid = sum(r.cost_usd for r in rows)
        assert RunStore(store).spent(run_id) == pytest.approx(paid)  # no reservation left

        result = pipelines.run(None, options=RunOptions(resume=run_id, store=store))
    assert result.status == "ok" and len(fake.requests) == 1
    assert RunStore(store).spent(run_id) == pytest.approx(paid)
