"""recipes/figma_to_code.yaml: its python-node functions (`recipes/figma_steps.py`, thin calls into
`translators.steps`) run end to end on a fixture.

The engine (pipelines/) runs these nodes; here a stand-in ctx supplies `item`, `artifacts_dir`,
`recipe_dir` and a scripted `chat`, so the steps' own behaviour is tested without a model.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import yaml

import pipelines
from pipelines import InputError, RunOptions
from translators.figma.dataset import figma_items
from translators.fixtures import fixture_path, fixture_paths
from translators.baseline import build_spec
from translators.steps import baseline_yaml, load_screen, score_render, spec_from_yaml
from translators.ui_spec import ALL_TARGETS, check_spec, dump_spec

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


def _steps():
    spec = importlib.util.spec_from_file_location("figma_steps", RECIPES / "figma_steps.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_recipe_references_existing_functions_and_nodes():
    recipe = yaml.safe_load((RECIPES / "figma_to_code.yaml").read_text())
    steps = _steps()
    assert recipe["allow_python"] is True and recipe["dataset"]["source"] == "figma"
    for name, node in recipe["nodes"].items():
        if node["kind"] == "llm":  # one call per section: a map over the sections' prompts
            assert (name, node["map"], node["prompt"]) == ("draft", "${sections.output.prompts}",
                                                          "prompts/figma_section.j2")
            continue
        assert node["kind"] == "python"
        module, function = node["function"].split(":")
        assert module == "figma_steps.py" and callable(getattr(steps, function)), name
        refs = set(re.findall(r"\$\{(\w+)\.", yaml.safe_dump(node["inputs"])))
        assert refs <= set(recipe["nodes"]) | {"item", "params"}, (name, refs)
    for name in ("figma_system.j2", "figma_spec.j2", "figma_repair.j2", "figma_spec_terse.j2", "figma_repair_terse.j2",
                 "figma_section.j2"):
        assert (RECIPES / "prompts" / name).exists()


def test_dataset_source_lists_fixture_files():
    items = figma_items("translators/fixtures")
    # Every hand-written screen, by name, in file-name order (the small/ folder is not read).
    assert items == [{"id": stem, "path": f"translators/fixtures/{stem}.json", "frame": ""}
                     for stem in sorted(p.stem for p in fixture_paths())]
    assert figma_items(str(fixture_path("chat")), frame="1:1") == [
        {"id": "chat", "path": str(fixture_path("chat")), "frame": "1:1"}]


def test_bad_figma_input_stops_before_any_call(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"document": ')
    for params, message in (({"figma": str(broken)}, "broken.json:1:14: invalid JSON"),
                            ({"figma": str(fixture_path("login")), "frame": "7:7"}, "frame '7:7' not found"),
                            ({"figma": str(tmp_path / "none.json")}, "no such Figma file or folder")):
        try:
            pipelines.run(RECIPES / "figma_to_code.yaml", params,
                          RunOptions(store=tmp_path / ".pipe", display="none"))
        except InputError as exc:
            assert message in str(exc) and exc.exit_code == 2
        else:
            raise AssertionError(f"{params} ran")
    assert not (tmp_path / ".pipe").exists()


def _section_answer(root, section):
    """The rule-based spec of a section (its layers inside their parent), as a model would write it."""
    stack = [root]
    while stack:
        node = stack.pop()
        if section["layers"][0] in [c.id for c in node.children]:
            kids = [c for c in node.children if c.id in section["layers"]]
            return dump_spec(build_spec(replace(node, children=kids)))
        stack += node.children
    raise KeyError(section["layers"])


def test_steps_run_a_screen_end_to_end(tmp_path):
    """login with the full prompt (1,337 tokens of instructions) does not fit a 2,048-token
    context: it is cut into sections, each answered (the first one wrongly, then repaired with
    the validator's messages), and assembled into one spec that renders as well as the
    rule-based spec of the whole screen."""
    steps = _steps()
    item = {"id": "login", "path": str(fixture_path("login")), "frame": ""}
    screen = load_screen(item["path"])
    calls = []

    async def chat(messages, **sampling):
        calls.append((messages, sampling))
        return _section_answer(screen.root, plan["sections"][0])

    ctx = SimpleNamespace(item=item, params={}, recipe_dir=str(RECIPES), artifacts_dir=str(tmp_path), chat=chat)
    ingest = steps.ingest(ctx, item["path"], "")
    assert ingest["compact"].startswith("frame:Login") and ingest["reduction"] > 5
    baseline = steps.baseline(ctx, item["path"], "")
    plan = steps.sections(ctx, item["path"], "", "full", 2048, 512, 32)
    assert not plan["whole"] and len(plan["prompts"]) == len(plan["sections"]) >= 3 and plan["rules"] == []
    assert all(s["prompt_tokens"] + 512 <= 2048 and s["expected_tokens"] <= 512 for s in plan["sections"])
    replies = ["screen: login\nroot: nope\n"] + [_section_answer(screen.root, s) for s in plan["sections"][1:]]
    llm = asyncio.run(steps.llm_spec(ctx, plan, replies, "full", 3, "react_tsx,divkit,html", 0.2, 512, 7))
    assert (llm["status"], llm["rounds"]) == ("valid", len(replies) + 1), llm["errors"]
    assert len(calls) == 1 and calls[0][1]["seed"] == 8  # the repair of section 0, with the next seed
    assert "root: nope" in calls[0][0][-1]["content"] and calls[0][0][0]["role"] == "system"
    code = steps.translate(ctx, item["path"], "", llm, baseline, "react_tsx,divkit,html", "baseline")
    assert code["source"] == f"llm ({len(replies)} sections)" and (tmp_path / "spec.yaml").exists()
    assert sorted(Path(p).name for ps in code["files"].values() for p in ps) == [
        "LoginScreen.tsx", "login.divkit.json", "login.divkit.ts", "login.html"]
    checks = asyncio.run(steps.compile_checks(ctx, code))
    assert checks["ok"] and checks["divkit_json_matches_builder"] and checks["skipped"] == [], checks
    assert checks["strings_intact"] == {"html": True, "react_tsx": True, "divkit": True}
    fidelity = asyncio.run(steps.fidelity(ctx, item["path"], "", code))
    assert fidelity["text_similarity"] == 1.0 and Path(fidelity["screenshot"]).exists()
    whole = score_render(screen, spec_from_yaml(baseline), None)
    assert fidelity["box_iou"] >= whole.box_iou - 0.01, (fidelity["box_iou"], whole.box_iou)
    report = steps.report(ctx, ingest, llm, code, checks, fidelity)
    text = Path(report["report"]).read_text()
    assert f"- sections: {len(replies)} sections; prompts up to" in text and "compile: ok" in text
    assert report["compiles"] is True and report["artifacts"] == str(tmp_path)
    # scored against the raw Figma file: report.md names what the render misses
    assert fidelity["features"] == 13 and report["features_kept"] == fidelity["features_kept"] == 1.0
    assert report["color_delta_e"] == fidelity["color_delta_e"] == 0.0
    assert "  - lost: missing box Icon/Mail (1:12)" in text.splitlines()


def test_a_large_context_gets_the_whole_screen_in_one_call(tmp_path):
    steps = _steps()
    ctx = SimpleNamespace(item={"id": "login"}, recipe_dir=str(RECIPES), artifacts_dir=str(tmp_path))
    plan = steps.sections(ctx, str(fixture_path("login")), "", "terse", 32768, 4096, 32)
    assert plan["whole"] and plan["prompts"] == [load_screen(fixture_path("login")).compact]


def test_failed_llm_falls_back_to_the_baseline(tmp_path):
    steps = _steps()
    ctx = SimpleNamespace(item={"id": "chat"}, artifacts_dir=str(tmp_path), recipe_dir=str(RECIPES))
    baseline = steps.baseline(ctx, str(fixture_path("chat")), "")
    failed = {"status": "failed", "rounds": 3, "spec_yaml": None, "errors": ["x"]}
    code = steps.translate(ctx, str(fixture_path("chat")), "", failed, baseline, "html", "baseline")
    assert code["source"] == "baseline (llm failed)" and list(code["files"]) == ["html"]
    html = Path(code["files"]["html"][0]).read_text(encoding="utf-8")
    assert 'data-figma-image="sam"' in html  # the file's image ref, put back on the rules' image
    none = steps.translate(ctx, str(fixture_path("chat")), "", failed, baseline, "html", "none")
    assert none["files"] == {} and asyncio.run(steps.compile_checks(ctx, none))["ok"] is False


def test_pipe_run_on_a_small_fixture_offline(tmp_path):
    """The real engine and the embedded model: the spec it translates is valid (the model's when
    the model's passed, else the baseline's) and every target's code compiles with all strings."""
    fixture = fixture_path("small/synthetic_7")
    result = pipelines.run(RECIPES / "figma_to_code.yaml",
                           {"figma": "../translators/fixtures/small/synthetic_7.json"},
                           RunOptions(store=tmp_path / ".pipe", display="none"))
    assert (result.status, result.exit_code) == ("ok", 0)
    [item] = result.items
    outputs = item["outputs"]
    out_dir = Path(outputs["report"]).parent
    report = json.loads((out_dir / "report.json").read_text())
    used = (out_dir / "spec.yaml").read_text()
    checked = check_spec(used, targets=ALL_TARGETS)
    assert checked.ok, checked.messages()  # re-checked here, not taken from the run's word
    llm = report["llm"]
    [section] = llm["sections"]  # a small screen: one section, the whole screen
    assert outputs["llm_status"] == llm["status"] and outputs["rounds"] == section["rounds"] and llm["whole"]
    if llm["status"] == "valid":
        assert outputs["spec_source"] == "llm" and used == llm["spec_yaml"]
        assert section["status"] == "valid" and section["errors"] == []
    else:
        assert llm["status"] == "failed" and llm["errors"]
        assert outputs["spec_source"] == "baseline (llm failed)"
        assert used == baseline_yaml(load_screen(fixture))
    assert outputs["compiles"] is True
    assert report["compile"]["strings_intact"] == {"html": True, "react_tsx": True, "divkit": True}
    typescript = {p for paths in report["files"].values() for p in paths if p.endswith((".ts", ".tsx"))}
    assert report["compile"]["tsc"] == {p: [] for p in typescript} and typescript
    assert outputs["text_similarity"] >= 0.9 and Path(outputs["report"]).exists()
