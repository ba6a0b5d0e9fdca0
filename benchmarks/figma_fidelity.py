"""Figures for the Figma -> spec -> code path, printed side by side.

1. Prompt size: each fixture's frame as REST JSON vs its compact tree (approximate tokens).
2. Fidelity of the rendered HTML target against the Figma file itself (every visible layer of
   the raw JSON), per screen, for the rule-based baseline spec (fixtures and the real frames in
   tests/translators/fixtures/real), and ground truth vs baseline on synthetic screens; each
   screen also says what its score lost points to.
3. How often the baseline recovers the synthetic ground truth, clean vs messy designs
   (what is left for the LLM step to add).
4. Compile throughput: specs per second through tsc, vnu and the node harness.

    .venv/bin/python benchmarks/figma_fidelity.py [--synthetic 12] [--compile 200]
"""

from __future__ import annotations

import argparse
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
from translators.fixtures import fixture_paths  # noqa: E402
from translators.synth import generate  # noqa: E402
from translators.targets import translate  # noqa: E402
from translators.targets.html import render_html  # noqa: E402


def prompt_sizes() -> None:
    print("## Prompt size: Figma REST JSON (one frame) vs compact tree, approximate tokens\n")
    print("| screen | raw JSON | compact | ratio | warnings | dropped layers |\n|---|---|---|---|---|---|")
    raw_total = small_total = 0
    for path in fixture_paths():
        screen = ingest(path)
        stats = screen.stats()
        raw_total += stats["raw_tokens"]
        small_total += stats["compact_tokens"]
        print(f"| {path.stem} | {stats['raw_tokens']} | {stats['compact_tokens']} | {stats['reduction']}x | "
              f"{len(screen.warnings)} | {screen.dropped} |")
    print(f"| **all** | {raw_total} | {small_total} | {raw_total / small_total:.1f}x | | |\n")


REAL = Path(__file__).resolve().parents[1] / "tests" / "translators" / "fixtures" / "real"


def fidelity(shots: Path, synthetic: int) -> None:
    screens = [(p.stem, ingest(p)) for p in [*fixture_paths(), *sorted(REAL.glob("*.json"))]]
    cases = [(name, s.frame.node, build_spec(s.root, name)) for name, s in screens]
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
    print("### Fixtures and real frames, baseline spec\n")
    print(table({name: s for (name, _, _), s in zip(cases, scores[:n])}) + "\n")
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
