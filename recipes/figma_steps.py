"""Python-node functions of figma_to_code.yaml: thin calls into `translators.steps`.

Each takes the engine's `ctx` (item, params, recipe_dir, artifacts_dir, chat) and returns
JSON-serialisable values; files go under `ctx.artifacts_dir`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

from translators import steps
from translators.errors import ToolMissing
from translators.figma.assets import attach_image_refs, image_refs, use_fetched
from translators.figma.images_api import fetch_images
from translators.llm import Prompts
from translators.sections import embedded_budget, plan_sections
from translators.sections.generate import sections_spec
from translators.ui_spec import dump_spec


def _out(ctx: Any) -> Path:
    return Path(ctx.artifacts_dir)


def ingest(ctx: Any, path: str, frame: str = "") -> dict[str, Any]:
    """Figma JSON -> compact tree (the prompt) + size figures and warnings."""
    return steps.ingest_summary(steps.load_screen(path, frame))


def baseline(ctx: Any, path: str, frame: str = "") -> str:
    """The rule-based spec, no model: the yardstick for the LLM step (and its fallback)."""
    return steps.baseline_yaml(steps.load_screen(path, frame))


def sections(ctx: Any, path: str, frame: str = "", prompt: str = "terse", context_tokens: int = 768,
             max_tokens: int = 512, max_sections: int = 32) -> dict[str, Any]:
    """Split the screen into sections that fit the model's context; `prompts` feeds the `map`."""
    prompts = Prompts(Path(ctx.recipe_dir) / "prompts", prompt)
    budget = embedded_budget(int(context_tokens), int(max_tokens), prompts.single, int(max_sections))
    plan = plan_sections(steps.load_screen(path, frame).root, budget)
    return {**plan, "prompts": [s["prompt"] for s in plan["sections"] if s["llm"]]}


async def llm_spec(ctx: Any, plan: dict[str, Any], replies: list[str], prompt: str = "terse", max_rounds: int = 3,
                   targets: str = "", temperature: float = 0.2, max_tokens: int = 512, seed: int = 0,
                   fallback: str = "baseline") -> dict[str, Any]:
    """Each section's answer checked, failures repaired through ctx.chat (metered, cached) up to
    max_rounds calls per section, and the section specs assembled into one spec."""
    prompts = Prompts(Path(ctx.recipe_dir) / "prompts", prompt)
    return await sections_spec(plan, list(replies), ctx.chat, prompts, max_rounds=int(max_rounds),
                               targets=steps.parse_targets(targets), seed=int(seed), fallback=fallback == "baseline",
                               sampling={"temperature": float(temperature), "max_tokens": int(max_tokens)})


def images(ctx: Any, path: str, frame: str = "", file_key: str = "") -> dict[str, Any]:
    """The frame's image fills downloaded into artifacts_dir/images through Figma's images API
    (token from env FIGMA_TOKEN, base URL from FIGMA_API_URL); without them, placeholders and why."""
    refs = [r for r in image_refs(steps.load_screen(path, frame).root) if r]
    got = fetch_images(refs, file_key.strip(), _out(ctx), os.environ.get("FIGMA_TOKEN"),
                       os.environ.get("FIGMA_API_URL") or None)
    return got.as_dict()


def translate(ctx: Any, path: str, frame: str, outcome: dict[str, Any], baseline: str, targets: str,
              fallback: str = "baseline", images: dict[str, Any] | None = None) -> dict[str, Any]:
    """The chosen spec -> code files per target under artifacts_dir/code/, with the file's image
    refs put back on its images (neither the model nor the rules write them), and the fetched
    pictures copied next to each target's files (`images/<ref>.png`)."""
    choice = steps.choose_spec(outcome, baseline, fallback == "baseline")
    if choice["spec_yaml"] is None:
        return {**choice, "files": {}}
    names = steps.parse_targets(targets)
    spec, _ = attach_image_refs(steps.spec_from_yaml(choice["spec_yaml"], names),
                                steps.load_screen(path, frame).root)
    fetched = (images or {}).get("paths") or {}
    if fetched:  # the code's spec: the checks read its strings (image `src`) back from every target
        spec = use_fetched(spec, fetched)
        choice = {**choice, "spec_yaml": dump_spec(spec)}
    (_out(ctx) / "spec.yaml").write_text(choice["spec_yaml"], encoding="utf-8")
    files = steps.write_code(spec, _out(ctx) / "code", names)
    for target in files:
        for name in fetched.values():
            copy = _out(ctx) / "code" / target / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_out(ctx) / name, copy)
    return {**choice, "files": files}


async def compile_checks(ctx: Any, code: dict[str, Any], checks: str = "render") -> dict[str, Any]:
    """tsc, the DivKit builder, vnu over the files; strings read back from each target.
    A compiler that is not installed is skipped and named (the code is written all the same)."""
    if checks == "none":
        return {"skipped": "checks=none"}
    if not code.get("files"):
        return {"ok": False, "skipped": "no spec to translate"}
    spec = steps.spec_from_yaml(code["spec_yaml"], tuple(code["files"]))
    return await asyncio.to_thread(steps.check_code, spec, code["files"])


async def fidelity(ctx: Any, path: str, frame: str, code: dict[str, Any], checks: str = "render") -> dict[str, Any]:
    """Render the HTML target in headless chromium; compare boxes, texts, colours and styling
    features with every visible layer of the Figma file itself."""
    if checks != "render":
        return {"skipped": f"checks={checks}"}
    if not code.get("spec_yaml"):
        return {"skipped": "no spec to render"}
    screen = steps.load_screen(path, frame)
    spec = steps.spec_from_yaml(code["spec_yaml"], ())
    shot = _out(ctx) / "screenshot.png"
    try:
        score = await asyncio.to_thread(steps.score_render, screen, spec, shot)
    except ToolMissing as exc:
        return {"skipped": exc.skipped()}
    return {**score.as_dict(), "screenshot": str(shot)}


def report(ctx: Any, ingest: dict[str, Any], llm: dict[str, Any], code: dict[str, Any], checks: dict[str, Any],
           fidelity: dict[str, Any], images: dict[str, Any] | None = None) -> dict[str, Any]:
    """report.md + report.json for the item; returns the headline figures."""
    spec = {k: code.get(k) for k in ("source",)}
    path = steps.write_report(_out(ctx), str(ctx.item.get("id", "screen")), {
        "ingest": {k: v for k, v in ingest.items() if k != "compact"}, "llm": llm, "spec": spec,
        "files": code.get("files"), "compile": checks, "fidelity": fidelity, "images": images or {}})
    return {"report": str(path), "artifacts": str(_out(ctx)), "llm_status": llm.get("status"), "rounds": llm.get("rounds"),
            "spec_source": code.get("source"), "compiles": checks.get("ok"),
            "text_similarity": fidelity.get("text_similarity"), "box_iou": fidelity.get("box_iou"),
            "color_delta_e": fidelity.get("color_delta_e"), "features_kept": fidelity.get("features_kept"),
            "images": (images or {}).get("images")}
