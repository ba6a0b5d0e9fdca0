"""A large model behind a URL gets the whole screen in one call; a small context cuts it into
sections, one call each (a real HTTP server on 127.0.0.1, answering like a perfect model)."""

from __future__ import annotations

from pathlib import Path

import pipelines
from pipelines import RunOptions
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve
from translators.fixtures import fixture_path
from translators.steps import baseline_yaml, load_screen

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "figma_to_code.yaml"
LOGIN = load_screen(fixture_path("login"))


def _run(url: str, tmp_path: Path, **params) -> dict:
    result = pipelines.run(RECIPE, {"figma": str(fixture_path("login")), "checks": "none", **params},
                           RunOptions(endpoint=url, store=tmp_path / ".pipe", display="none"))
    assert (result.status, result.exit_code) == ("ok", 0)
    return result.items[0]["outputs"]


def test_a_large_context_sends_the_whole_screen_once(tmp_path):
    fake = FakeLLM(reply=lambda body: baseline_yaml(LOGIN))
    with serve(fake.app) as url:
        outputs = _run(url, tmp_path, context_tokens=32768, max_tokens=4096)
    [request] = fake.requests
    assert request["messages"] == [{"role": "user", "content": LOGIN.compact}] and request["max_tokens"] == 4096
    assert (outputs["llm_status"], outputs["spec_source"], outputs["rounds"]) == ("valid", "llm", 1)
    assert (Path(outputs["artifacts"]) / "spec.yaml").read_text() == baseline_yaml(LOGIN)


def test_the_embedded_context_cuts_the_screen_into_sections_one_call_each(tmp_path):
    fake = FakeLLM(reply=lambda body: "not a spec")
    with serve(fake.app) as url:
        outputs = _run(url, tmp_path, max_rounds=1)
    report = (Path(outputs["artifacts"]) / "report.md").read_text()
    sent = [r["messages"][0]["content"] for r in fake.requests]
    assert len(sent) > 1 and all(len(r["messages"]) == 1 for r in fake.requests)
    lines = {line.strip() for line in LOGIN.compact.splitlines()}
    for text in sent:  # a run of layers inside its parent's line, each line one of the screen's
        head, *layers = text.splitlines()  # the parent's line shows no sizing of its own: a prefix
        assert any(line.startswith(head) for line in lines) and {line.strip() for line in layers} <= lines
        assert not layers[0].startswith("  ")
    assert LOGIN.compact not in sent and f"- sections: {len(sent)} sections;" in report
    assert (outputs["llm_status"], outputs["spec_source"]) == ("failed", "baseline (llm failed)")
