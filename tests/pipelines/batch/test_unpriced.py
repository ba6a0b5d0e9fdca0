"""`pipe batch submit --max-cost` over a model with no price refuses to store the job (exit 2)
unless unpriced requests are accepted."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pipelines.batch.cli import batch
from tests.pipelines.batch.conftest import write_input
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve


def test_max_cost_over_an_unpriced_model_is_refused_unless_allowed(tmp_path):
    source, store = write_input(tmp_path / "in.jsonl", 3, model="nobody-prices-me"), tmp_path / "s"
    fake = FakeLLM()
    with serve(fake.app) as url:
        common = [str(source), "--endpoint", url, "--api", "concurrent", "--max-cost", "0.5",
                  "--store", str(store)]
        refused = CliRunner().invoke(batch, ["submit", *common])
        assert refused.exit_code == 2
        assert refused.stderr.startswith("error: --max-cost $0.5: no price known for model(s) "
                                         "['nobody-prices-me']")
        assert "--pricing" in refused.stderr and "--allow-unpriced" in refused.stderr
        assert fake.requests == [] and not (store / "batch.sqlite").exists()

        allowed = CliRunner().invoke(batch, ["submit", *common, "--allow-unpriced", "--json"])
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["counts"]["done"] == 3 and len(fake.requests) == 3
