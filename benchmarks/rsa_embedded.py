"""RSA vs majority voting vs single sample on the embedded model, at matched and unmatched spend.

Runs an eval suite (default `evals/embedded_arith.yaml`: single; self-consistency N=4/8/16;
self-refine N=4 T=4; RSA N=4/8 x K=2/4 x T=2/4) and prints, per method, accuracy with its 95%
CI, $, accuracy per $, calls per problem, and the ratios against the single-sample baseline.
Rows with the same calls per problem are matched spend (e.g. majority@16, RSA N=4 T=4,
self-refine N=4 T=4 and RSA N=8 T=2 all make 16 calls).

    python benchmarks/rsa_embedded.py [--suite evals/embedded_arith.yaml] [--store .pipe-bench]

Re-running with the same store reuses the response cache: figures repeat and cost nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.report import ResultRow  # noqa: E402
from evals.runner import run_suite  # noqa: E402
from pipelines import RunOptions  # noqa: E402


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _ratio(value: float | None, base: float | None) -> float | None:
    return None if value is None or not base else value / base


def table(rows: list[ResultRow]) -> str:
    """Per dataset, every method against the single-sample baseline, grouped by calls per problem."""
    lines = []
    for dataset in dict.fromkeys(r.dataset for r in rows):
        group = [r for r in rows if r.dataset == dataset]
        base = next((r for r in group if r.recipe == "single"), group[0])
        lines.append(f"\n{dataset}: {base.items} problems; baseline = {base.recipe} {base.params}")
        lines.append(f"{'method':<28}{'calls/q':>8}{'accuracy':>10}{'95% CI':>16}{'$':>12}"
                     f"{'acc/$':>10}{'acc x':>8}{'$ x':>8}")
        by_calls: dict[float, list[ResultRow]] = defaultdict(list)
        for r in sorted(group, key=lambda r: (r.calls / max(r.items, 1), r.recipe, r.params)):
            by_calls[round(r.calls / max(r.items, 1), 1)].append(r)
        for calls, same in by_calls.items():
            for r in same:
                low, high = r.ci
                lines.append(
                    f"{(r.recipe + ' ' + r.params).strip():<28}{calls:>8.1f}{r.accuracy:>10.3f}"
                    f"{f'[{low:.2f}, {high:.2f}]':>16}{_fmt(r.usd, '.2e'):>12}"
                    f"{_fmt(r.acc_per_usd, '.4g'):>10}"
                    f"{_fmt(_ratio(r.accuracy, base.accuracy), '.2f'):>8}"
                    f"{_fmt(_ratio(r.usd, base.usd), '.1f'):>8}")
            if len(same) > 1:
                lines.append(f"{'':<4}^ matched spend: {len(same)} methods at {calls:g} calls/problem")
    return "\n".join(lines)


def main() -> int:
    """Run the suite, print the table; the suite's exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default=str(ROOT / "evals" / "embedded_arith.yaml"))
    parser.add_argument("--store", default=str(ROOT / ".pipe-bench"))
    parser.add_argument("--endpoint", default=None, help="default: the suite's (embedded)")
    parser.add_argument("--max-cost", type=float, default=None)
    args = parser.parse_args()
    started = time.monotonic()
    options = RunOptions(store=args.store, endpoint=args.endpoint, max_cost=args.max_cost,
                         display="plain")
    done = run_suite(args.suite, options,
                     on_cell=lambda c, i, n, run_id: print(f"[{i + 1}/{n}] {c.key}", file=sys.stderr))
    print(table(done.rows))
    print(f"\nsuite {done.suite_id}: {done.status}, {time.monotonic() - started:.0f}s wall; "
          f"report: {done.folder / 'report.md'}")
    return done.exit_code


if __name__ == "__main__":
    sys.exit(main())
