"""The cost model against published deployments (`recipes/cost/published.yaml`).

Each point names a shipped profile and lays the published configuration over it; the model is
priced at the published batch and context and set beside the published throughput per GPU and
$ per 1M tokens (output for decode, uncached input for prefill). A point's `role` says whether
a model figure was fitted on it (`fit`), nothing was (`held-out`), or it is a service's daily
average that a steady full batch should not match (`average`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipelines.cost.economics import economics_at
from pipelines.cost.physics import prefill_seconds_per_token
from pipelines.cost.profiles import PROFILES_DIR, GpuProfile, profile_from_dict
from pipelines.cost.yamlio import COST_DATA_DIR, read_yaml, validate_data
from pipelines.errors import InputError

PUBLISHED = COST_DATA_DIR / "published.yaml"

_STRICT = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Source(BaseModel):
    model_config = _STRICT

    url: str = Field(pattern=r"^https://")
    """Where the figure is published."""
    title: str
    """The document's title, and where in it the figure is."""
    date: str
    """Publication date (ISO 8601)."""
    also: str | None = None
    """A second source (e.g. the data a blog derived its figure from)."""


class Figure(BaseModel):
    model_config = _STRICT

    tokens_per_s_per_gpu: float = Field(gt=0)
    """Published output (decode) or uncached input (prefill) tokens/s per GPU."""
    per_node: float | None = Field(default=None, gt=0)
    """The same per node, as the source states it."""
    usd_per_gpu_hour: float = Field(gt=0)
    """The GPU price the source states or implies; $ per 1M tokens are priced at it."""
    usd_per_m: float | None = Field(default=None, gt=0)
    """$ per 1M tokens where the source quotes its own."""


class Point(BaseModel):
    model_config = _STRICT

    id: str
    role: Literal["fit", "held-out", "average"]
    """fit: a model figure was fitted on it; held-out: nothing was; average: a daily service
    average, shown but not compared."""
    phase: Literal["decode", "prefill"]
    source: Source
    hardware: str
    parallelism: str
    batch_per_gpu: float = Field(gt=0)
    """Sequences per GPU (decode) or prompt tokens per GPU per forward (prefill)."""
    context_len: float = Field(gt=0)
    """KV length (decode) or prompt length (prefill), tokens."""
    published: Figure
    notes: str = ""
    profile: str
    """A shipped profile name (recipes/cost/profiles/NAME.yaml)."""
    overrides: dict[str, dict[str, Any]] = {}
    """Profile sections to lay over it, key by key."""


class Published(BaseModel):
    model_config = _STRICT

    tolerance: float = Field(gt=0)
    """Largest |modelled / published - 1| a compared point may show."""
    points: list[Point] = Field(min_length=1)


@dataclass(frozen=True)
class Comparison:
    id: str
    role: str
    phase: str
    published_tps: float
    modelled_tps: float
    published_usd: float
    modelled_usd: float

    @property
    def ratio(self) -> float:
        """Modelled / published throughput ($ per 1M goes as its inverse)."""
        return self.modelled_tps / self.published_tps

    def within(self, tolerance: float) -> bool:
        usd = self.modelled_usd / self.published_usd
        return abs(self.ratio - 1) <= tolerance and abs(usd - 1) <= tolerance

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def load_published(path: Path | None = None) -> Published:
    path = path or PUBLISHED
    data, node = read_yaml(path)
    return validate_data(Published, data, path, node, "published points")


def _merged(base: dict[str, Any], overrides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out = dict(base)
    for section, values in overrides.items():
        out[section] = {**(base.get(section) or {}), **values}
    return out


def point_profile(point: Point) -> GpuProfile:
    """The point's profile with the published configuration laid over it."""
    path = PROFILES_DIR / f"{point.profile}.yaml"
    data, _ = read_yaml(path)
    hw = {**data.get("hardware", {}), "usd_per_gpu_hour": point.published.usd_per_gpu_hour,
          "utilisation": 1.0}
    overrides = {**point.overrides,
                 "hardware": {**hw, **point.overrides.get("hardware", {})}}
    profile = profile_from_dict(_merged(data, overrides), path)
    if not isinstance(profile, GpuProfile):
        raise InputError(f"published point {point.id}: {point.profile} is a measured profile; "
                         f"fix: name a GPU profile")
    return profile


def compare(point: Point) -> Comparison:
    p = point_profile(point)
    usd_per_s = point.published.usd_per_gpu_hour / 3600
    if point.phase == "decode":
        modelled = economics_at(p, point.batch_per_gpu, point.context_len).tokens_per_s_per_gpu
    else:
        chunk = p.model_copy(update={"deployment": p.deployment.model_copy(
            update={"prefill_chunk_tokens": point.batch_per_gpu})})
        modelled = 1 / prefill_seconds_per_token(chunk, point.context_len)
    published = point.published
    usd = published.usd_per_m or usd_per_s / published.tokens_per_s_per_gpu * 1e6
    return Comparison(point.id, point.role, point.phase, published.tokens_per_s_per_gpu,
                      modelled, usd, usd_per_s / modelled * 1e6)


def validate(path: Path | None = None) -> tuple[Published, list[Comparison]]:
    published = load_published(path)
    return published, [compare(pt) for pt in published.points]


def format_validation(published: Published, rows: list[Comparison]) -> str:
    tol = published.tolerance
    head = (f"{'point':<32} {'role':<8} {'tok/s/GPU':>9} {'model':>6} {'ratio':>5} "
            f"{'$/1M':>5} {'model':>5} ok")
    lines = [head, "-" * len(head)]
    for r in rows:
        ok = "-" if r.role == "average" else ("yes" if r.within(tol) else "NO")
        lines.append(f"{r.id[:32]:<32} {r.role:<8} {r.published_tps:>9,.0f} "
                     f"{r.modelled_tps:>6,.0f} {r.ratio:>5.2f} {r.published_usd:>5.3f} "
                     f"{r.modelled_usd:>5.3f} {ok}")
    lines.append("$/1M: output (decode) or uncached input (prefill) at the source's $/GPU-h")
    lines.append(f"ok: throughput and $/1M both within +-{tol:.0%} (average: not compared)")
    return "\n".join(lines)
