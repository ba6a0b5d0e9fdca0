"""Figures for the Figma -> spec -> code path, printed side by side.

1. Prompt size: each fixture's frame as REST JSON vs its compact tree (approximate tokens).
2. Fidelity of the rendered HTML target against the Figma file itself (every visible layer of
   the raw JSON), per screen, for the rule-based baseline spec: the real-file evaluation set
   (tests/translators/fixtures/real/screens.json, responses written by other projects) against
   the goal (box IoU >= 0.85, text similarity >= 0.95, mean ΔE00 < 5), the fixtures, and ground
   truth vs baseline on synthetic screens; each screen says what its score lost points to, what
   ingest could not carry and what a target does not draw.
3. How often the baseline recovers the synthetic ground truth, clean vs messy designs
   (what is left for the LLM step to add).
4. Compile throughput: specs per second through tsc, vnu and the node harness.

    .venv/bin/python benchmarks/figma_fidelity.py [--synthetic 12] [--compile 200]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from translators.baseline import build_spec  # noqa: E402
from translators.checks import compile as compilers  # noqa: E402
from translators.checks.fidelity import compare, html_elements, table  # noqa: E402
from translators.checks.reference import reference_elements  # noqa: E402
from translators.checks.render import Page, render  # noqa: E402
from translators.figma import ingest  # noqa: E402
from translators.figma.assets import attach_image_refs  # noqa: E402
from translators.fixtures import fixture_paths  # noqa: E402
from translators.synth import generate  # noqa: E402
from translators.targets import translate  # noqa: E402
from translators.targets.coverage import not_drawn  # noqa: E402
from translators.targets.html import render_html  # noqa: E402


def prompt_sizes() -> None:
    print("## Prompt size: Figma REST JSON (one frame) vs compact tree, approximate tokens\n")
    print("| screen | raw JSON | compact | ratio | warnings | dropped layers |\n|---|---|---|---|---|---|")
    raw_total = small_total = 0
    for name, screen in [(name, screen) for name, _, screen in real_screens()] + [(p.stem, ingest(p)) for p in fixture_paths()]:
        stats = screen.stats()
        raw_total += stats["raw_tokens"]
        small_total += stats["compact_tokens"]
        print(f"| {name} | {stats['raw_tokens']} | {stats['compact_tokens']} | {stats['reduction']}x | "
              f"{len(screen.warnings)} | {screen.dropped} |")
    print(f"| **all** | {raw_total} | {small_total} | {raw_total / small_total:.1f}x | | |\n")


REAL = Path(__file__).resolve().parents[1] / "tests" / "translators" / "fixtures" / "real"
GOAL = {"box_iou": 0.85, "text_similarity": 0.95, "delta_e": 5.0}


def real_screens() -> list[tuple[str, str, object]]:
    """(name, response shape, Ingested) for every screen of the real-file evaluation set."""
    listed = json.loads((REAL / "screens.json").read_text(encoding="utf-8"))
    return [(s["name"], s["shape"], ingest(REAL / s["file"], s["frame"])) for s in listed]


def _baseline(screen, name: str):
    spec, _ = attach_image_refs(build_spec(screen.root, name), screen.root)
    return spec


def fidelity(shots: Path, synthetic: int) -> None:
    real = real_screens()
    screens = [(name, s) for name, _, s in real] + [(p.stem, ingest(p)) for p in fixture_paths()]
    cases = [(name, s.frame.node, _baseline(s, name)) for name, s in screens]
    truth_cases, base_cases = [], []
    for seed in range(synthetic):
        figma, spec = generate(seed, "medium", messy=0.4)
        screen = ingest(figma)
        truth_cases.append((f"synthetic_{seed}", screen.frame.node, spec))
        base_cases.append((f"synthetic_{seed}", screen.frame.node, build_spec(screen.root)))
    everything = cases + truth_cases + base_cases
    pages = [Page(render_html(s), s.width, s.height, shots / f"{i:02d}_{n}.png") for i, (n, _, s) in enumerate(everything)]
    started = time.monotonic()
    reads = render(pages)
    seconds = time.monotonic() - started
    scores = [compare(reference_elements(raw), html_elements(read, spec.root.id))
              for (_, raw, spec), read in zip(everything, reads)]
    n = len(cases)
    print(f"## Fidelity: HTML target rendered in headless chromium vs the Figma frame "
          f"({len(pages)} pages in {seconds:.1f}s; screenshots in {shots})\n")
    real_report(real, cases[:len(real)], scores[:len(real)])
    print("### Fixtures, baseline spec\n")
    print(table({name: s for (name, _, _), s in zip(cases[len(real):], scores[len(real):n])}) + "\n")
    print("What each screen lost points to:\n")
    for (name, _, _), score in zip(cases, scores[:n]):
        print(f"- {name}: " + ("; ".join(score.lost) if score.lost else "nothing"))
    print()
    print("### Synthetic screens (messy=0.4): ground-truth spec | baseline spec\n")
    print("| screen | text sim | text IoU | box IoU | ΔE00 | baseline text sim | text IoU | box IoU | ΔE00 |")
    print("|---|---|---|---|---|---|---|---|---|")
    truth, base = scores[n:n + synthetic], scores[n + synthetic:]
    for (name, _, _), t, b in zip(truth_cases, truth, base):
        print(f"| {name} | {t.text_similarity:.3f} | {t.text_iou:.3f} | {t.box_iou:.3f} | {_de(t)} | "
              f"{b.text_similarity:.3f} | {b.text_iou:.3f} | {b.box_iou:.3f} | {_de(b)} |")
    print()


def real_report(real, cases, scores) -> None:
    """The evaluation set against the goal, and per screen what ingest and the targets left out."""
    print("### Real-file evaluation set (responses written by others), baseline spec\n")
    print("| screen | response | texts | text sim | boxes | box IoU | ΔE00 | features kept | goal |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (name, shape, _), score in zip(real, scores):
        ok = (score.box_iou >= GOAL["box_iou"] and score.text_similarity >= GOAL["text_similarity"]
              and (score.color_delta_e or 0.0) < GOAL["delta_e"])
        print(f"| {name} | {shape} | {score.texts_matched}/{score.texts} | {score.text_similarity:.3f} | "
              f"{score.boxes_matched}/{score.boxes} | {score.box_iou:.3f} | {_de(score)} | "
              f"{score.features_kept:.2f} of {score.features} | {'met' if ok else 'missed'} |")
    print("\nNot carried (ingest warnings) and not drawn (per target), per screen:\n")
    for (name, _, screen), (_, _, spec) in zip(real, cases):
        warned = [str(w) for w in screen.warnings] + _shapeless(screen.root)
        gaps = "; ".join(f"{t}: {', '.join(items)}" for t, items in not_drawn(spec).items()) or "nothing"
        print(f"- {name}: not carried: {'; '.join(warned) or 'nothing'}; not drawn: {gaps}")
    print()


def _shapeless(root) -> list[str]:
    """Vector art the file carries without geometry: drawn as sized boxes in its colour."""
    todo, found = [root], []
    while todo:
        node = todo.pop()
        found += [node.path] if node.glyph and not node.paths else []
        todo.extend(node.children)
    return [f"{len(found)} vector art layer(s) without geometry drawn as sized boxes "
            f"(save with geometry=paths): {', '.join(sorted(found)[:3])}"] if found else []


def _de(score) -> str:
    return f"{score.color_delta_e:.2f}" if score.color_delta_e is not None else "-"


def recovery(count: int) -> None:
    print("## Baseline vs synthetic ground truth (exact spec match)\n")
    print("| design names | small | medium |\n|---|---|---|")
    for messy in (0.0, 0.25, 0.6):
        cells = []
        for size in ("small", "medium"):
            hits = sum(build_spec(ingest(f).root) == s for f, s in (generate(i, size, messy) for i in range(count)))
            cells.append(f"{hits}/{count}")
        print(f"| messy={messy} | {cells[0]} | {cells[1]} |")
    print()


def compile_rate(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.monotonic()
        for seed in range(count):
            _, spec = generate(seed, "medium", messy=0.3)
            for files in translate(spec).values():
                for name, source in files.items():
                    (folder / f"{seed}_{name}").write_text(source, encoding="utf-8")
        made = time.monotonic() - started
        ts = sorted(p for p in folder.iterdir() if p.suffix in (".ts", ".tsx"))
        html = sorted(folder.glob("*.html"))
        timings = {}
        for label, run, files in (("tsc --noEmit", compilers.tsc_check, ts), ("vnu", compilers.vnu_check, html),
                                  ("tsc emit + node", compilers.run_modules, ts)):
            started = time.monotonic()
            result = run(files)
            timings[label] = (time.monotonic() - started, len(files), result)
    print(f"## Compile throughput ({count} synthetic medium specs, translated in {made:.1f}s)\n")
    print("| check | files | seconds | files/s | failures |\n|---|---|---|---|---|")
    for label, (seconds, files, result) in timings.items():
        bad = sum(1 for v in result.values() if (v.get("ok") is False if isinstance(v, dict) else
                                                 any(m.startswith("error") or "error TS" in m for m in v)))
        print(f"| {label} | {files} | {seconds:.1f} | {files / seconds:.0f} | {bad} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=12, help="synthetic screens to render")
    parser.add_argument("--recovery", type=int, default=100, help="synthetic pairs per recovery cell")
    parser.add_argument("--compile", type=int, default=200, help="specs for the throughput run")
    parser.add_argument("--shots", type=Path, default=Path(tempfile.gettempdir()) / "figma_fidelity_shots")
    args = parser.parse_args()
    args.shots.mkdir(parents=True, exist_ok=True)
    prompt_sizes()
    fidelity(args.shots, args.synthetic)
    recovery(args.recovery)
    compile_rate(args.compile)


if __name__ == "__main__":
    main()
