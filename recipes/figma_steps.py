"""Python-node functions of figma_to_code.yaml: thin calls into `translators.steps`.

Each takes the engine's `ctx` (item, params, recipe_dir, artifacts_dir, chat) and returns
JSON-serialisable values; files go under `ctx.artifacts_dir`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from translators import steps
from translators.llm import Prompts, generate_spec


def _out(ctx: Any) -> Path:
    return Path(ctx.artifacts_dir)


def ingest(ctx: Any, path: str, frame: str = "") -> dict[str, Any]:
    """Figma JSON -> compact tree (the prompt) + size figures and warnings."""
    return steps.ingest_summary(steps.load_screen(path, frame))


def baseline(ctx: Any, path: str, frame: str = "") -> str:
    """The rule-based spec, no model: the yardstick for the LLM step (and its fallback)."""
    return steps.baseline_yaml(steps.load_screen(path, frame))


async def llm_spec(ctx: Any, compact: str, prompt: str = "terse", max_rounds: int = 3, targets: str = "",
                   temperature: float = 0.2, max_tokens: int = 1024, seed: int = 0) -> dict[str, Any]:
    """Compact tree -> YAML spec through ctx.chat (metered, cached), repaired up to max_rounds."""
    prompts = Prompts(Path(ctx.recipe_dir) / "prompts", prompt)
    outcome = await generate_spec(compact, ctx.chat, prompts, max_rounds=int(max_rounds),
                                  targets=steps.parse_targets(targets), seed=int(seed),
                                  sampling={"temperature": float(temperature), "max_tokens": int(max_tokens)})
    return outcome.as_dict()


def translate(ctx: Any, outcome: dict[str, Any], baseline: str, targets: str, fallback: str = "baseline"
              ) -> dict[str, Any]:
    """The chosen spec -> code files per target under artifacts_dir/code/."""
    choice = steps.choose_spec(outcome, baseline, fallback == "baseline")
    if choice["spec_yaml"] is None:
        return {**choice, "files": {}}
    names = steps.parse_targets(targets)
    spec = steps.spec_from_yaml(choice["spec_yaml"], names)
    (_out(ctx) / "spec.yaml").write_text(choice["spec_yaml"], encoding="utf-8")
    return {**choice, "files": steps.write_code(spec, _out(ctx) / "code", names)}


async def compile_checks(ctx: Any, code: dict[str, Any]) -> dict[str, Any]:
    """tsc, the DivKit builder, vnu over the files; strings read back from each target."""
    if not code.get("files"):
        return {"ok": False, "skipped": "no spec to translate"}
    spec = steps.spec_from_yaml(code["spec_yaml"], tuple(code["files"]))
    return await asyncio.to_thread(steps.check_code, spec, code["files"])


async def fidelity(ctx: Any, path: str, frame: str, code: dict[str, Any]) -> dict[str, Any]:
    """Render the HTML target in headless chromium; compare boxes, texts, colours and styling
    features with every visible layer of the Figma file itself."""
    if not code.get("spec_yaml"):
        return {"skipped": "no spec to render"}
    screen = steps.load_screen(path, frame)
    spec = steps.spec_from_yaml(code["spec_yaml"], ())
    shot = _out(ctx) / "screenshot.png"
    score = await asyncio.to_thread(steps.score_render, screen, spec, shot)
    return {**score.as_dict(), "screenshot": str(shot)}


def report(ctx: Any, ingest: dict[str, Any], llm: dict[str, Any], code: dict[str, Any],
           checks: dict[str, Any], fidelity: dict[str, Any]) -> dict[str, Any]:
    """report.md + report.json for the item; returns the headline figures."""
    spec = {k: code.get(k) for k in ("source",)}
    path = steps.write_report(_out(ctx), str(ctx.item.get("id", "screen")), {
        "ingest": {k: v for k, v in ingest.items() if k != "compact"}, "llm": llm, "spec": spec,
        "files": code.get("files"), "compile": checks, "fidelity": fidelity})
    return {"report": str(path), "llm_status": llm.get("status"), "rounds": llm.get("rounds"),
            "spec_source": code.get("source"), "compiles": checks.get("ok"),
            "text_similarity": fidelity.get("text_similarity"), "box_iou": fidelity.get("box_iou"),
            "color_delta_e": fidelity.get("color_delta_e"), "features_kept": fidelity.get("features_kept")}
