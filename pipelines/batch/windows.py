"""When a batch job runs: now, inside off-peak windows, or in the cheapest slots before a deadline.

The input is the endpoint's price timeline from now on, as `Slot`s (a span of time with one
tier and the price the whole job would have if it all ran there), and the job's expected
duration (its expected tokens over an estimated throughput). The output is the list of spans
the job plans to run in, with the expected bill against running now.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from pipelines.clock import parse_utc
from pipelines.errors import InputError

STANDARD_TIERS = frozenset({"standard", "unknown"})


@dataclass(frozen=True)
class Slot:
    """[start, end) of one price: its tier and what the whole job would cost at that price."""

    start: datetime
    end: datetime
    tier: str
    job_usd: float | None = None

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def discounted(self) -> bool:
        return self.tier not in STANDARD_TIERS

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "tier": self.tier,
                "job_usd": self.job_usd}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Slot:
        return Slot(parse_utc(d["start"]), parse_utc(d["end"]), d["tier"], d.get("job_usd"))


@dataclass
class SchedulePlan:
    """What `pipe batch status` shows as the plan."""

    kind: str
    """now | off-peak | deadline"""
    created_at: datetime
    model: str
    """The model whose price windows the job follows (its most requested one)."""
    duration_s: float
    """Expected running time at `throughput_tok_s`."""
    throughput_tok_s: float
    throughput_source: str
    deadline: datetime | None = None
    off_peak_only: bool = False
    windows: list[Slot] = field(default_factory=list)
    """Planned spans, in time order (for `now`: the span from submission to expected end)."""
    expected_usd: float | None = None
    now_usd: float | None = None
    """Expected bill when run at once, from submission."""

    @property
    def saving_usd(self) -> float | None:
        if self.expected_usd is None or self.now_usd is None:
            return None
        return self.now_usd - self.expected_usd

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["created_at"] = self.created_at.isoformat()
        d["deadline"] = self.deadline.isoformat() if self.deadline else None
        d["windows"] = [w.as_dict() for w in self.windows]
        d["saving_usd"] = self.saving_usd
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> SchedulePlan:
        fields = {k: v for k, v in d.items() if k != "saving_usd"}
        fields["created_at"] = parse_utc(d["created_at"])
        fields["deadline"] = parse_utc(d["deadline"]) if d.get("deadline") else None
        fields["windows"] = [Slot.from_dict(w) for w in d.get("windows", [])]
        return SchedulePlan(**fields)


def _clip(slots: list[Slot], start: datetime, end: datetime | None) -> list[Slot]:
    out = []
    for s in slots:
        a, b = max(s.start, start), s.end if end is None else min(s.end, end)
        if a < b:
            out.append(replace(s, start=a, end=b))
    return out


def _take(slots: list[Slot], seconds: float) -> list[Slot]:
    """Slots in the given order until they hold `seconds`; the last one cut to what is needed."""
    taken, left = [], seconds
    for s in slots:
        if left <= 1e-6:  # datetimes hold whole microseconds: no sub-microsecond spans
            break
        if s.seconds > left:
            s = replace(s, end=s.start + timedelta(seconds=left))
        taken.append(s)
        left -= s.seconds
    return taken


def _merge(slots: list[Slot]) -> list[Slot]:
    merged: list[Slot] = []
    for s in sorted(slots, key=lambda s: s.start):
        last = merged[-1] if merged else None
        if last and last.end == s.start and (last.tier, last.job_usd) == (s.tier, s.job_usd):
            merged[-1] = replace(last, end=s.end)
        else:
            merged.append(s)
    return merged


def expected_usd(slots: list[Slot], duration_s: float) -> float | None:
    """The job's bill when it runs through `slots`, spread evenly over its duration."""
    if duration_s <= 0:
        return slots[0].job_usd if slots else None
    total = 0.0
    for s in slots:
        if s.job_usd is None:
            return None
        total += s.job_usd * s.seconds / duration_s
    return total


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"


def plan_schedule(kind: str, slots: list[Slot], *, model: str, now: datetime, duration_s: float,
                  throughput_tok_s: float, throughput_source: str,
                  deadline: datetime | None = None, off_peak_only: bool = False) -> SchedulePlan:
    """Pick the spans to run in. `slots` must cover [now, horizon) in time order.

    Raises InputError when no off-peak window occurs in time, or the job cannot finish by
    the deadline at the estimated throughput."""
    if deadline is not None and deadline <= now:
        raise InputError(f"--deadline {deadline.isoformat()} is not in the future "
                         f"(now is {now.isoformat()}); fix: give a later deadline")
    ahead = _clip(slots, now, None)
    running_now = _take(ahead, duration_s)
    plan = SchedulePlan(kind=kind, created_at=now, model=model, duration_s=duration_s,
                        throughput_tok_s=throughput_tok_s, throughput_source=throughput_source,
                        deadline=deadline, off_peak_only=off_peak_only,
                        now_usd=expected_usd(running_now, duration_s))
    if kind == "now":
        plan.windows = _merge(running_now)
    else:
        plan.windows = _merge(_choose(ahead, now, duration_s, deadline, off_peak_only))
    plan.expected_usd = expected_usd(plan.windows, duration_s)
    return plan


def _choose(ahead: list[Slot], now: datetime, duration_s: float, deadline: datetime | None,
            off_peak_only: bool) -> list[Slot]:
    horizon = ahead[-1].end if ahead else now
    usable = _clip(ahead, now, deadline)
    if off_peak_only:
        usable = [s for s in usable if s.discounted]
        if not usable:
            until = f"before the deadline {deadline.isoformat()}" if deadline else \
                f"before {horizon.isoformat()}"
            raise InputError(f"the endpoint's price sheet has no off-peak window {until}; "
                             "fix: give a later --deadline, or run with --now")
    if deadline is None:  # off-peak windows in time order; the job continues past the plan
        return _take(usable, duration_s)
    available = sum(s.seconds for s in usable)
    if available < duration_s:
        where = "in off-peak windows " if off_peak_only else ""
        raise InputError(
            f"the job needs about {_hours(duration_s)} at the estimated throughput but only "
            f"{_hours(available)} remain {where}before the deadline {deadline.isoformat()}; "
            "fix: give a later --deadline, a higher --throughput estimate, or fewer requests")
    cheapest = sorted(usable, key=lambda s: (s.job_usd is None, s.job_usd or 0.0, s.start))
    return _take(cheapest, duration_s)


def next_run_span(plan: SchedulePlan, at: datetime,
                  off_peak_after: list[Slot]) -> tuple[datetime, datetime | None] | None:
    """Where the job may run next, from `at`: (start, end or None for open-ended), or None
    when it may not run again (the deadline has passed for an off-peak-only job).

    `off_peak_after` are the discounted slots from `at` on (for jobs that follow the windows
    beyond the plan)."""
    if plan.kind == "now":
        return at, None
    for w in plan.windows:
        if w.end > at:
            return max(w.start, at), w.end
    if not plan.off_peak_only:
        return at, None  # behind the plan: run at once, the best chance to meet the deadline
    for s in off_peak_after:  # behind the plan: keep to the windows, up to the deadline
        if s.end > at and (plan.deadline is None or s.start < plan.deadline):
            end = s.end if plan.deadline is None else min(s.end, plan.deadline)
            return max(s.start, at), end
    return None
