"""The Figma -> code steps as plain functions; the python nodes of `recipes/figma_to_code.yaml`
(`recipes/figma_steps.py`) only call these.

ingest a screen -> rule-based baseline spec -> choose the LLM's spec or the baseline -> write each
target's code -> compile checks -> render and score fidelity -> report.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from translators.baseline import build_spec
from translators.checks import compile as compilers
from translators.checks.fidelity import Fidelity, compare, html_elements
from translators.checks.reference import reference_elements
from translators.checks.readers import expected_strings, read_divkit, read_html, read_react
from translators.checks.render import Page, render
from translators.errors import ToolMissing
from translators.figma import Ingested, ingest
from translators.targets import translate
from translators.targets.coverage import not_drawn
from translators.targets.html import render_html
from translators.ui_spec import ALL_TARGETS, Spec, dump_spec, load_spec


def parse_targets(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """'react_tsx,divkit' -> ('react_tsx', 'divkit'); checked against the known targets."""
    names = tuple(t.strip() for t in (value.split(",") if isinstance(value, str) else value) if t.strip())
    unknown = [t for t in names if t not in ALL_TARGETS]
    if unknown or not names:
        raise ValueError(f"targets must be a comma list of {', '.join(ALL_TARGETS)}; got {value!r}")
    return names


def load_screen(path: str | Path, frame: str | None = None) -> Ingested:
    """One frame of a saved Figma file (the first frame when `frame` is empty)."""
    return ingest(Path(path), frame or None)


def ingest_summary(screen: Ingested) -> dict[str, Any]:
    """What the ingest step reports: the prompt text, sizes, warnings."""
    return {
        "compact": screen.compact, "frame_id": screen.frame.id, "frame_name": screen.frame.name,
        "width": round(screen.root.w), "height": round(screen.root.h),
        "warnings": [str(w) for w in screen.warnings], "dropped": screen.dropped, **screen.stats(),
    }


def baseline_yaml(screen: Ingested) -> str:
    """The rule-based spec (no model)."""
    return dump_spec(build_spec(screen.root))


def choose_spec(outcome: dict[str, Any], baseline: str, fallback: bool) -> dict[str, Any]:
    """The spec to translate: the model's if valid, else the baseline's when `fallback`."""
    if outcome.get("status") in ("valid", "partial") and outcome.get("spec_yaml"):
        return {"spec_yaml": outcome["spec_yaml"], "source": outcome.get("source") or "llm"}
    if fallback:
        return {"spec_yaml": baseline, "source": "baseline (llm failed)"}
    return {"spec_yaml": None, "source": "none (llm failed, no fallback)"}


def write_code(spec: Spec, out_dir: Path, targets: tuple[str, ...]) -> dict[str, list[str]]:
    """Write every target's files; {target: [paths]}."""
    written: dict[str, list[str]] = {}
    for target, files in translate(spec, targets).items():
        folder = out_dir / target
        folder.mkdir(parents=True, exist_ok=True)
        written[target] = []
        for name, source in files.items():
            (folder / name).write_text(source, encoding="utf-8")
            written[target].append(str(folder / name))
    return written


def check_code(spec: Spec, files: dict[str, list[str]]) -> dict[str, Any]:
    """Real compilers over the written files, plus proof that every string arrived intact.
    A compiler that is not installed is skipped and named in `skipped`; `ok` is then None
    (not checked) unless something that did run failed."""
    paths = {t: [Path(p) for p in ps] for t, ps in files.items()}
    typescript = [p for t in ("react_tsx", "divkit") for p in paths.get(t, []) if p.suffix in (".ts", ".tsx")]
    html = [p for p in paths.get("html", []) if p.suffix == ".html"]
    result: dict[str, Any] = {"tsc": {}, "vnu": {}, "strings_intact": {}, "skipped": []}
    tsc = _unless_missing(result, compilers.tsc_check, typescript)
    result["tsc"] = {str(p): errs for p, errs in (tsc or {}).items()}
    vnu = _unless_missing(result, compilers.vnu_check, html)
    result["vnu"] = {str(p): errs for p, errs in (vnu or {}).items()}
    expected = expected_strings(spec)
    for path in html:
        result["strings_intact"]["html"] = read_html(path.read_text(encoding="utf-8"))[0] == expected
    for path, got in (_unless_missing(result, compilers.run_modules, typescript) or {}).items():
        if path.suffix == ".tsx":
            result["strings_intact"]["react_tsx"] = got["ok"] and read_react(got["value"])[0] == expected
        else:
            card = json.loads(path.with_name(path.name[:-3] + ".json").read_text(encoding="utf-8"))
            result["divkit_json_matches_builder"] = got["ok"] and got["value"] == card
            result["strings_intact"]["divkit"] = read_divkit(card) == expected
    vnu_errors = [m for found in result["vnu"].values() for m in found if m.startswith("error:")]
    failed = (any(result["tsc"].values()) or vnu_errors or not all(result["strings_intact"].values())
              or result.get("divkit_json_matches_builder") is False)
    result["ok"] = False if failed else (None if result["skipped"] else True)
    return result


def _unless_missing(result: dict[str, Any], check: Any, files: list[Path]) -> Any:
    """`check(files)`, or None with "tsc not installed (...)" added to result["skipped"]."""
    try:
        return check(files)
    except ToolMissing as exc:
        if exc.skipped() not in result["skipped"]:
            result["skipped"].append(exc.skipped())
        return None


def score_render(screen: Ingested, spec: Spec, screenshot: Path | None) -> Fidelity:
    """Render the HTML target at the frame's size and compare it with the Figma file itself
    (every visible layer of the raw JSON), so anything ingest or a target dropped costs points."""
    page = Page(render_html(spec), spec.width, spec.height, screenshot)
    read = render([page])[0]
    return compare(reference_elements(screen.frame.node), html_elements(read, spec.root.id))


def _section_lines(llm: dict[str, Any]) -> list[str]:
    """How the screen was split for the model: sections, their sizes, what rules wrote."""
    rows = llm.get("sections") or []
    if not rows:
        return []
    split = "the whole screen" if llm.get("whole") else f"{len(rows)} sections"
    lines = [f"- sections: {split}; prompts up to {max(r['prompt_tokens'] for r in rows)} tokens, "
             f"specs ~{max(r['expected_tokens'] for r in rows)}; "
             + ", ".join(f"{n} {k}" for k, n in sorted(Counter(r["status"] for r in rows).items()))]
    lines += [f"  - {r['status']}: {r['name']!r}" + (f": {r['errors'][0].splitlines()[0]}" if r["errors"] else "")
              for r in rows if r["status"] != "valid"][:10]
    return lines + [f"  - by rules: {r['name']!r} ({r['why']})" for r in llm.get("rules") or []][:10]


def spec_from_yaml(text: str, targets: tuple[str, ...] = ALL_TARGETS) -> Spec:
    """The validated spec (SpecError naming every problem), checked for `targets`."""
    return load_spec(text, targets=targets)


def write_report(out_dir: Path, name: str, parts: dict[str, Any]) -> Path:
    """report.md (human) and report.json (everything) for one screen."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(parts, indent=1, default=str), encoding="utf-8")
    ing, llm, choice = parts.get("ingest", {}), parts.get("llm", {}), parts.get("spec", {})
    checks, fid = parts.get("compile") or {}, parts.get("fidelity") or {}
    lines = [f"# {name}", "",
             f"- frame: {ing.get('frame_id')} {ing.get('frame_name')!r}, {ing.get('width')}x{ing.get('height')}",
             f"- prompt: {ing.get('compact_tokens')} tokens (raw JSON {ing.get('raw_tokens')}, "
             f"{ing.get('reduction')}x smaller); {len(ing.get('warnings', []))} warnings",
             f"- LLM spec: {llm.get('status')} after {llm.get('rounds')} round(s); used: {choice.get('source')}"]
    warnings = ing.get("warnings", [])
    lines += [f"  - warning: {w}" for w in warnings[:10]] + ([f"  - … {len(warnings) - 10} more in report.json"]
                                                              if len(warnings) > 10 else [])
    for error in [] if llm.get("sections") else llm.get("errors", [])[:5]:  # else listed per section
        lines.append(f"  - {error.splitlines()[0]}")
    lines += _section_lines(llm)
    if "ok" in checks:
        verdict = {True: "ok", False: "FAILED", None: "not checked"}[checks.get("ok")]
        lines.append(f"- compile: {verdict} "
                     f"(tsc errors {sum(map(len, checks.get('tsc', {}).values()))}, "
                     f"vnu messages {sum(map(len, checks.get('vnu', {}).values()))}, "
                     f"strings intact {checks.get('strings_intact')})")
        lines += [f"  - skipped: {why}" for why in checks.get("skipped") or []]
    elif checks.get("skipped"):
        lines.append(f"- compile: skipped: {checks['skipped']}")
    if fid.get("skipped"):
        lines.append(f"- fidelity: skipped: {fid['skipped']}")
    elif fid:
        lines.append(f"- fidelity against the Figma file: text sim {fid.get('text_similarity')}, "
                     f"text IoU {fid.get('text_iou')}, box IoU {fid.get('box_iou')}, ΔE00 {fid.get('color_delta_e')}, "
                     f"features kept {fid.get('features_kept')} of {fid.get('features')}")
        lines += [f"  - lost: {line}" for line in fid.get("lost") or []]
    for target, gaps in (not_drawn(load_spec(choice["spec_yaml"])) if choice.get("spec_yaml") else {}).items():
        lines.append(f"- not drawn in {target}: " + ", ".join(gaps))
    for target, paths in (parts.get("files") or {}).items():
        lines.append(f"- {target}: " + ", ".join(Path(p).name for p in paths))
    images = parts.get("images") or {}
    lines += [f"- {images['images']}"] if images.get("images") else []
    lines += [f"  - warning: {w}" for w in images.get("warnings", [])]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
