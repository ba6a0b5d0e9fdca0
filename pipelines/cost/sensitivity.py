"""How much each achieved-efficiency parameter moves a GPU profile's figures.

Each parameter is raised by `step` (10% by default, capped at 1 for fractions) with every
other figure held; the table shows the relative change of tokens/s per GPU, $ per 1M output
and $ per 1M uncached input at the profile's own batch. An elasticity near 0 means the figure
does not depend on that parameter at this operating point; near 1 (or -1) that it is the
bottleneck.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.cost.economics import economics_at, explain
from pipelines.cost.profiles import GpuProfile

PARAMETERS = (("hardware", "hbm_efficiency"), ("hardware", "gemm_hbm_efficiency"),
              ("hardware", "linear_efficiency"),
              ("hardware", "attention_efficiency"), ("hardware", "scale_up_gb_s"),
              ("hardware", "scale_out_gb_s"), ("hardware", "scale_out_prefill_gb_s"),
              ("deployment", "prefill_mfu"), ("deployment", "comm_sm_fraction"),
              ("deployment", "layer_overhead_us"), ("deployment", "step_overhead_ms"),
              ("deployment", "mtp_acceptance"))


@dataclass(frozen=True)
class Sensitivity:
    parameter: str
    value: float
    raised_to: float
    tokens_per_s_per_gpu: float
    """Relative change (0.05 = +5%)."""
    usd_per_m_output: float
    usd_per_m_input_miss: float


def _raised(p: GpuProfile, section: str, field: str, step: float) -> tuple[GpuProfile, float]:
    part = getattr(p, section)
    value = getattr(part, field)
    if value is None:  # an unset optional figure defaults to another; raise what applies
        value = getattr(part, "scale_out_gb_s")
    new = value * (1 + step) if value else step
    if field.endswith(("efficiency", "mfu", "acceptance", "fraction")):
        new = min(new, 1.0)
    return p.model_copy(update={section: part.model_copy(update={field: new})}), new


def sensitivity(p: GpuProfile, step: float = 0.1) -> list[Sensitivity]:
    base = explain(p)
    rows = []
    for section, field in PARAMETERS:
        changed, new = _raised(p, section, field, step)
        e = economics_at(changed, base.batch_per_gpu)
        rows.append(Sensitivity(
            f"{section}.{field}", getattr(getattr(p, section), field), new,
            e.tokens_per_s_per_gpu / base.tokens_per_s_per_gpu - 1,
            e.usd_per_m_output / base.usd_per_m_output - 1,
            e.usd_per_m_input_miss / base.usd_per_m_input_miss - 1))
    return rows


def format_sensitivity(rows: list[Sensitivity]) -> str:
    head = f"{'parameter (+10%)':<33} {'value':>8} {'tok/s/GPU':>10} {'$/1M out':>9} {'$/1M in':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.parameter:<33} {r.value:>8g} {r.tokens_per_s_per_gpu:>+10.1%} "
                     f"{r.usd_per_m_output:>+9.1%} {r.usd_per_m_input_miss:>+8.1%}")
    return "\n".join(lines)
