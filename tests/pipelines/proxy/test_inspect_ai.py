"""A third-party evaluation tool (inspect-ai, its OpenAI-compatible model) scores a local JSONL
task through the proxy: its scores must be the proxy's answers, item by item."""

from __future__ import annotations

import json

import pytest

import pipelines
from tests.pipelines.proxy.conftest import sums

inspect_ai = pytest.importorskip("inspect_ai")
from inspect_ai import Task, eval as inspect_eval  # noqa: E402
from inspect_ai.dataset import json_dataset  # noqa: E402
from inspect_ai.scorer import pattern  # noqa: E402
from inspect_ai.solver import generate  # noqa: E402

PROBLEMS = [("What is 2+3?", "5"), ("What is 7+5?", "12"), ("What is 10+31?", "41"),
            ("What is 7+7?", "14")]
"""The fake upstream gets sums right except when the first term is 7: 2 of 4 are right."""


def test_inspect_ai_scores_the_proxys_answers(proxy, tmp_path, monkeypatch):
    data = tmp_path / "sums.jsonl"
    data.write_text("".join(json.dumps({"input": q, "target": a}) + "\n" for q, a in PROBLEMS))
    monkeypatch.setenv("PIPE_API_KEY", "unused")
    monkeypatch.setenv("INSPECT_LOG_DIR", str(tmp_path / "logs"))
    task = Task(dataset=json_dataset(str(data)), solver=generate(),
                scorer=pattern(r"\\boxed\{(.*?)\}"))
    [log] = inspect_eval(task, model="openai-api/pipe/rsa_test", model_base_url=proxy.url,
                         display="none", log_dir=str(tmp_path / "logs"), max_retries=0,
                         extra_body={"N": 2, "T": 2})
    assert log.status == "success", log.error
    [score] = log.results.scores
    assert score.metrics["accuracy"].value == pytest.approx(0.5)
    # every answer the tool scored is the one a run of the recipe voted, in the run store
    runs = {r["run_id"]: r for r in pipelines.runs(proxy.store, limit=None)}
    assert len(runs) == len(PROBLEMS) and {r["recipe_name"] for r in runs.values()} == {"rsa_test"}
    voted = {}
    for run_id in runs:
        [item] = pipelines.show(run_id, proxy.store)["items"]
        voted[item["outputs"]["answer"]] = run_id
    for sample in log.samples:
        completion = sample.output.completion
        answer = completion.removeprefix("\\boxed{").removesuffix("}")
        assert answer in voted, (completion, voted)
        right = sums({"messages": [{"content": sample.input}]}).endswith(
            f"{{{sample.target}}}")
        assert sample.scores["pattern"].value == ("C" if right else "I")
    assert len(proxy.fake.requests) == len(PROBLEMS) * 2 * 2  # N=2 for T=2 steps
