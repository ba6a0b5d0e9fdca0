"""The embedded model on real Figma frames, through the recipe's sections (issue #17, item 5):
every screen ends with a valid spec and every section is accounted for; whether the model's own
sections are valid is recorded by a strict xfail until it is trained on sectioned data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipelines
from pipelines import RunOptions
from translators.ui_spec import ALL_TARGETS, check_spec

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "figma_to_code.yaml"
REAL = ROOT / "tests" / "translators" / "fixtures" / "real"


def _frames() -> list[tuple[Path, str]]:
    """Every screen the real set's manifest (screens.json) names."""
    return [(REAL / s["file"], s["frame"] or "") for s in json.loads((REAL / "screens.json").read_text())]


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> list[dict]:
    store = tmp_path_factory.mktemp("real") / ".pipe"
    out = []
    for path, frame in _frames():
        result = pipelines.run(RECIPE, {"figma": str(path), "frame": frame, "checks": "none"},
                               RunOptions(store=store, display="none"))
        assert (result.status, result.exit_code) == ("ok", 0), (path.name, frame)
        [item] = result.items
        folder = Path(item["outputs"]["artifacts"])
        out.append({"name": f"{path.stem}:{frame}", "outputs": item["outputs"], "folder": folder,
                    "report": json.loads((folder / "report.json").read_text())})
    return out


def test_every_real_frame_ends_with_a_valid_spec_and_every_section_is_accounted_for(reports):
    assert len(reports) >= 5
    for run in reports:
        used = (run["folder"] / "spec.yaml").read_text()
        checked = check_spec(used, targets=ALL_TARGETS)
        assert checked.ok, (run["name"], checked.messages())  # re-checked here, not the run's word
        llm = run["report"]["llm"]
        assert llm["sections"] and run["outputs"]["rounds"] == sum(r["rounds"] for r in llm["sections"])
        for row in llm["sections"]:
            assert row["prompt_tokens"] + 512 <= 768 and row["status"] in ("valid", "failed", "rules"), row
            assert row["status"] == "valid" or row["errors"] or row["status"] == "rules", row
        if llm["status"] in ("valid", "partial"):
            assert used == llm["spec_yaml"] and run["outputs"]["spec_source"].startswith("llm")
        else:
            assert run["outputs"]["spec_source"] == "baseline (llm failed)" and llm["errors"]
        text = (run["folder"] / "report.md").read_text()
        assert "- sections: " in text and "- compile: skipped: checks=none" in text


@pytest.mark.xfail(strict=True, reason="the shipped model writes 0 of the real frames' sections validly (wrong "
                   "sizes, invented texts, broken YAML); 500 CPU steps of sectioned real-like data left it at 0 too: "
                   "it needs a GPU run of that stage (#17, docs/model.md)")
def test_the_embedded_model_writes_every_real_frame_itself(reports):
    assert [r["name"] for r in reports if r["report"]["llm"]["status"] != "valid"] == []
