"""Building a job's schedule plan at submission: the job's expected tokens, the price slots of
its endpoint from now on, and the planner's choice."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from textwrap import fill
from datetime import datetime, timedelta
from typing import Iterable

from pipelines.batch.metering import JobMeter, expected_usage
from pipelines.cost import MeasuredProfile
from pipelines.cost.derive import profile_tiers
from pipelines.cost.pricing import windows_in_force
from pipelines.cost.sheets import PriceSheet
from pipelines.errors import InputError
from pipelines.batch.windows import SchedulePlan, Slot, plan_schedule
from pipelines.batch.requests import BatchRequest
from pipelines.types import Usage

HORIZON = timedelta(days=8)
"""How far ahead windows are looked for (a week covers every daily and weekly window)."""
DEFAULT_THROUGHPUT_TOK_S = 1000.0
"""Output tokens per second assumed for an endpoint the cost model has no figure for."""


@dataclass(frozen=True)
class JobShape:
    """What a job is expected to use, per model."""

    usage_by_model: dict[str, Usage]
    primary_model: str

    @property
    def completion_tokens(self) -> int:
        return sum(u.completion_tokens for u in self.usage_by_model.values())


def job_shape(requests: Iterable[BatchRequest]) -> JobShape:
    """Expected tokens per model, in one pass (a file's requests are read, not held)."""
    totals: dict[str, list[int]] = {}
    counts: Counter[str] = Counter()
    for r in requests:
        u = expected_usage(r.body)
        t = totals.setdefault(r.model, [0, 0])
        t[0] += u.prompt_tokens
        t[1] += u.completion_tokens
        counts[r.model] += 1
    return JobShape({m: Usage(prompt_tokens=p, completion_tokens=c) for m, (p, c) in totals.items()},
                    counts.most_common(1)[0][0])


def job_usd(meter: JobMeter, shape: JobShape, at: datetime, *, batch: bool) -> float | None:
    """The whole job's bill if every request started at `at`; None if any price is unknown."""
    total = 0.0
    for model, usage in shape.usage_by_model.items():
        usd = meter.price(model, usage, at, batch=batch).usd
        if usd is None:
            return None
        total += usd
    return total


def price_slots(meter: JobMeter, shape: JobShape, t0: datetime, t1: datetime, *,
                batch: bool = False) -> list[Slot]:
    """Slots of one price over [t0, t1), following the primary model's price sheet."""
    return [Slot(s.start, s.end, "batch" if batch else s.tier,
                 job_usd(meter, shape, s.start, batch=batch))
            for s in meter.timeline(shape.primary_model).spans(t0, t1)]


def off_peak_slots(meter: JobMeter, model: str, at: datetime) -> list[Slot]:
    """Discounted slots of `model` from `at` to the horizon (tier only, no prices)."""
    spans = meter.timeline(model).spans(at, at + HORIZON)
    return [Slot(s.start, s.end, s.tier) for s in spans if Slot(s.start, s.end, s.tier).discounted]


def throughput_estimate(meter: JobMeter, model: str, *, bulk: bool) -> tuple[float, str]:
    """Output tokens/s of the endpoint from the deployment profile that prices `model` (its
    bulk tier for off-peak and Batch API jobs, else its standard tier), else an assumption to
    override with --throughput. Decode dominates a job's time, so its duration is its output
    tokens over this."""
    sheet = meter.timeline(model).sheet
    profile = sheet.profile if sheet is not None else None
    if profile is None:
        return DEFAULT_THROUGHPUT_TOK_S, "assumed; set --throughput"
    tiers = profile_tiers(profile)
    point = tiers.bulk if bulk else tiers.standard
    gpus = 1 if isinstance(profile, MeasuredProfile) else profile.deployment.gpus
    tier = "bulk" if bulk else "standard"
    return point.tokens_per_s_per_gpu * gpus, f"cost model: profile {profile.name}, {tier} tier"


def _ended_windows(sheet: PriceSheet, key: str, now: datetime) -> str:
    """', whose off-peak window ended on DATE' when an earlier period of the sheet had one."""
    ends = [p.until for p in sheet.models[key].periods
            if p.windows and p.until is not None and p.until <= now]
    return f", whose off-peak window ended on {max(ends):%Y-%m-%d}" if ends else ""


def no_window_error(meter: JobMeter, model: str, now: datetime) -> InputError:
    """Why `--window off-peak` cannot run, and which shipped sheets or profiles would."""
    timeline = meter.timeline(model)
    if timeline.sheet is None:
        why = f"model {model!r} has no price on {meter.endpoint}, so no off-peak window"
    else:
        sheet = timeline.sheet
        why = (f"no off-peak window in the next {HORIZON.days} days: model {model!r} is priced "
               f"by sheet {sheet.name} (version {sheet.version})"
               f"{_ended_windows(sheet, timeline.key, now)}")
    offered = "".join(f"\n    {w}" for w in windows_in_force(now)) or " none"
    fix = ("fix: --pricing PROFILE (your server's deployment profile, whose bulk tier is sold "
           "off-peak), --deadline TIME, or --now")
    return InputError(f"{fill(why + '.', 72, subsequent_indent='  ')}\n  Off-peak windows in "
                      f"force now:{offered}\n{fill(fix, 78, initial_indent='  ', subsequent_indent='  ')}")


def build_schedule(meter: JobMeter, shape: JobShape, *, now: datetime, off_peak: bool,
                   deadline: datetime | None, batch_api: bool, throughput_tok_s: float,
                   throughput_source: str) -> SchedulePlan:
    """Plan the job; raises InputError when the requested windows cannot hold it."""
    duration = shape.completion_tokens / throughput_tok_s
    t1 = max(deadline or now + HORIZON, now + timedelta(seconds=duration) + timedelta(days=1))
    common = dict(model=shape.primary_model, now=now, duration_s=duration,
                  throughput_tok_s=throughput_tok_s, throughput_source=throughput_source)
    standard = price_slots(meter, shape, now, t1)
    if batch_api:
        plan = plan_schedule("now", price_slots(meter, shape, now, t1, batch=True), **common)
        plan.now_usd = plan_schedule("now", standard, **common).now_usd
        return plan
    if off_peak and not off_peak_slots(meter, shape.primary_model, now):
        raise no_window_error(meter, shape.primary_model, now)
    kind = "off-peak" if off_peak else "deadline" if deadline else "now"
    return plan_schedule(kind, standard, deadline=deadline, off_peak_only=off_peak, **common)
