"""The recipe without compilers or a browser (issue #17, item 6): the code is still written and
each check that could not run says which tool is missing and how to install it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pipelines
from pipelines import RunOptions
from tests.translators.test_steps import RECIPES, _steps
from translators.checks import compile as compilers
from translators.fixtures import fixture_path
from translators.steps import baseline_yaml, check_code, load_screen, spec_from_yaml, write_code

def _written(tmp_path):
    spec = spec_from_yaml(baseline_yaml(load_screen(fixture_path("login"))))
    return spec, write_code(spec, tmp_path / "code", ("react_tsx", "divkit", "html"))


def test_without_node_java_or_chromium_on_path_the_checks_are_skipped_and_named(tmp_path, monkeypatch):
    spec, files = _written(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = check_code(spec, files)
    assert result["skipped"] == ["node not installed (./scripts/setup-dev.sh)",
                                 "java not installed (./scripts/setup-dev.sh)"]
    assert result["ok"] is None and result["tsc"] == {} and result["strings_intact"] == {"html": True}
    steps = _steps()
    ctx = SimpleNamespace(item={"id": "login"}, artifacts_dir=str(tmp_path), recipe_dir=str(RECIPES))
    code = {"spec_yaml": baseline_yaml(load_screen(fixture_path("login"))), "files": files}
    fidelity = asyncio.run(steps.fidelity(ctx, str(fixture_path("login")), "", code))
    assert fidelity == {"skipped": "chromium not installed (./scripts/setup-dev.sh)"}


def test_without_the_npm_packages_tsc_is_skipped_and_named(tmp_path, monkeypatch):
    spec, files = _written(tmp_path)
    monkeypatch.setattr(compilers, "TSC", tmp_path / "no-node-modules" / "tsc")  # fault injection
    result = check_code(spec, files)
    assert result["skipped"] == ["tsc not installed (./scripts/setup-dev.sh)"] and result["ok"] is None
    assert all(m.startswith("warning:") for ms in result["vnu"].values() for m in ms)  # vnu still ran


def test_a_failure_that_did_run_still_fails_when_another_tool_is_missing(tmp_path, monkeypatch):
    spec, files = _written(tmp_path)
    Path(files["react_tsx"][0]).write_text("const x: number = 'a';\n")
    monkeypatch.setattr(compilers, "VNU_JAR", tmp_path / "none.jar")
    result = check_code(spec, files)
    assert result["ok"] is False and result["skipped"] == ["vnu not installed (./scripts/setup-dev.sh)"]


def test_recipe_with_checks_none_writes_the_code_and_prints_where(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no node, java or chromium either
    result = pipelines.run(RECIPES / "figma_to_code.yaml",
                           {"figma": "../translators/fixtures/small/synthetic_7.json", "checks": "none"},
                           RunOptions(store=tmp_path / ".pipe", display="none"))
    assert (result.status, result.exit_code) == ("ok", 0)
    [item] = result.items
    outputs = item["outputs"]
    folder = Path(outputs["artifacts"])
    assert outputs["compiles"] is None and outputs["box_iou"] is None
    assert sorted(p.name for p in (folder / "code").rglob("*.*")) == sorted(
        Path(p).name for ps in json.loads((folder / "report.json").read_text())["files"].values() for p in ps)
    text = Path(outputs["report"]).read_text()
    assert "- compile: skipped: checks=none" in text and "- fidelity: skipped: checks=none" in text


def test_recipe_without_tools_reports_each_skip(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = pipelines.run(RECIPES / "figma_to_code.yaml",
                           {"figma": "../translators/fixtures/small/synthetic_7.json"},
                           RunOptions(store=tmp_path / ".pipe", display="none"))
    [item] = result.items
    assert item["outputs"]["compiles"] is None and (Path(item["outputs"]["artifacts"]) / "code" / "html").is_dir()
    text = Path(item["outputs"]["report"]).read_text()
    assert "  - skipped: node not installed (./scripts/setup-dev.sh)" in text.splitlines()
    assert "- fidelity: skipped: chromium not installed (./scripts/setup-dev.sh)" in text.splitlines()
