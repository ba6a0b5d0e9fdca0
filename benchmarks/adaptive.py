"""Adaptive stopping against full RSA on the embedded model: the same problems, the same seed.

Runs, one after the other on the embedded arithmetic problems (`evals/embedded_arith.yaml`'s
source, `arith` with data seed 7): majority@8 (RSA T=1), adaptive self-consistency (waves of 4
up to 16), RSA N=8 K=4 T=4, and the same RSA with `adaptive=true` (an item skips its remaining
aggregation steps once its population agrees: all 8 first samples, or 5 of 8 of an aggregated
population; the rule was chosen on data seed 11, see docs/adaptive.md). Prints calls, $ and accuracy
with 95% intervals, the paired difference against RSA T=4, and ends with the two lines

    adaptive: accuracy A% at $X
    RSA T=4: accuracy B% at $Y

    python benchmarks/adaptive.py [--size 600] [--data-seed 7] [--stop-agreement 0.625]

$ is every call at its metered price; calls answered from the response cache (the arms share
one store, and identical calls - same node, sample and seed - are sent once) count at what they
would have cost, so each arm's $ is what it costs run alone. Re-running reuses the cache.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pipelines  # noqa: E402
from pipelines import CallStatus, RunOptions  # noqa: E402
from pipelines.figures import wilson_interval  # noqa: E402
from pipelines.storage import RunStore  # noqa: E402

RSA = ROOT / "recipes" / "rsa_math.yaml"
ADAPTIVE_SC = ROOT / "recipes" / "adaptive_self_consistency.yaml"


@dataclass
class Arm:
    label: str
    correct: dict[str, bool]
    calls: int
    usd: float

    @property
    def accuracy(self) -> float:
        return sum(self.correct.values()) / max(len(self.correct), 1)


def run_arm(label: str, recipe: Path, params: dict, store: Path) -> Arm:
    started = time.monotonic()
    result = pipelines.run(str(recipe), params, RunOptions(store=store))
    if result.exit_code != 0:
        raise SystemExit(f"{label}: run {result.run_id} ended {result.status}")
    calls = [c for c in RunStore(store).calls(result.run_id) if c.status == CallStatus.OK]
    usd = sum(c.would_cost_usd or 0.0 for c in calls)
    print(f"  {label}: run {result.run_id}, {time.monotonic() - started:.0f}s", file=sys.stderr)
    return Arm(label, {i["item_id"]: bool(i["correct"]) for i in result.items}, len(calls), usd)


def paired(a: Arm, b: Arm) -> tuple[float, float, float, int, int]:
    """a - b accuracy over the same items, its 95% interval (normal, paired), and the
    discordant counts (a right b wrong, a wrong b right)."""
    ids = sorted(a.correct.keys() & b.correct.keys())
    diffs = [int(a.correct[i]) - int(b.correct[i]) for i in ids]
    n = len(diffs)
    mean = sum(diffs) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / max(n - 1, 1))
    half = 1.96 * sd / math.sqrt(n)
    return mean, mean - half, mean + half, diffs.count(1), diffs.count(-1)


def table(arms: list[Arm], base: Arm, items: int) -> str:
    lines = [f"{'arm':<30}{'calls/q':>8}{'accuracy':>10}{'95% CI':>15}{'$':>11}{'$ x':>7}"]
    for arm in arms:
        low, high = wilson_interval(sum(arm.correct.values()), len(arm.correct))
        lines.append(f"{arm.label:<30}{arm.calls / items:>8.1f}{arm.accuracy:>10.1%}"
                     f"{f'[{low:.0%}, {high:.0%}]':>15}{arm.usd:>11.2e}{arm.usd / base.usd:>7.2f}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=600, help="problems (paired 95%% CI about +-1.4 points at 600, +-3 at 200)")
    parser.add_argument("--data-seed", type=int, default=7, help="seed of the problems")
    parser.add_argument("--stop-agreement", type=float, default=0.625,
                        help="share asked of an aggregated population (rsa_math's default)")
    parser.add_argument("--first-agreement", type=float, default=1.0,
                        help="share asked of the first, sampled population")
    parser.add_argument("--sc-agreement", type=float, default=0.75,
                        help="adaptive self-consistency's share (its recipe's default)")
    parser.add_argument("--store", default=str(ROOT / ".pipe-bench" / "adaptive"))
    args = parser.parse_args()
    store, started = Path(args.store), time.monotonic()
    common = {"size": args.size, "data_seed": args.data_seed, "seed": 1234}
    rsa = {**common, "N": 8, "K": 4, "T": 4}
    print(f"{args.size} arith problems (data seed {args.data_seed}), seed 1234", file=sys.stderr)
    full = run_arm("RSA N=8 K=4 T=4", RSA, rsa, store)
    adaptive = run_arm(f"adaptive RSA T<=4 ({args.first_agreement:g}/{args.stop_agreement:g})",
                       RSA, {**rsa, "adaptive": True, "stop_agreement": args.stop_agreement,
                             "stop_agreement_first": args.first_agreement}, store)
    majority = run_arm("majority@8 (RSA T=1)", RSA, {**rsa, "T": 1}, store)
    waves = run_arm(f"adaptive SC 4..16 ({args.sc_agreement:g})", ADAPTIVE_SC,
                    {**common, "N": 16, "W": 4, "stop_agreement": args.sc_agreement}, store)
    print(table([majority, waves, full, adaptive], full, args.size))
    diff, low, high, better, worse = paired(adaptive, full)
    print(f"\nadaptive - RSA T=4, paired over the same {args.size} problems: {diff:+.1%} "
          f"(95% CI {low:+.1%} to {high:+.1%}); adaptive right where RSA wrong {better}, "
          f"the reverse {worse}")
    print(f"goal: within 1 point at <= half the $: accuracy {diff * 100:+.1f} points, "
          f"$ x{adaptive.usd / full.usd:.2f}; {time.monotonic() - started:.0f}s wall")
    print(f"adaptive: accuracy {adaptive.accuracy:.1%} at ${adaptive.usd:.6f}")
    print(f"RSA T=4: accuracy {full.accuracy:.1%} at ${full.usd:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
