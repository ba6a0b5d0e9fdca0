"""Read Prometheus text exposition (a live /metrics endpoint or a saved scrape)."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from pipelines.errors import InputError

_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?\s*$")
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Scrape:
    """One scrape: metric name -> [(labels, value)], and when it was taken (epoch seconds)."""

    source: str
    samples: dict[str, list[tuple[dict[str, str], float]]]
    taken_at: float | None

    def total(self, *names: str) -> float | None:
        """Sum over label sets of the first of `names` present (with or without `_total`)."""
        for name in names:
            for candidate in (name, f"{name}_total"):
                rows = self.samples.get(candidate)
                if rows:
                    values = [v for _, v in rows if not math.isnan(v)]
                    return sum(values) if values else None
        return None

    def rows(self, *names: str) -> list[tuple[dict[str, str], float]]:
        """The samples of the first of `names` present (with or without `_total`)."""
        for name in names:
            for candidate in (name, f"{name}_total"):
                rows = [(lab, v) for lab, v in self.samples.get(candidate, [])
                        if not math.isnan(v)]
                if rows:
                    return rows
        return []

    def mean(self, names: tuple[str, ...], weights: tuple[str, ...] = ()) -> float | None:
        """A per-rank gauge (one sample per scheduler rank) averaged, not summed: weighted by
        the `weights` counter of the same label set where every rank has one."""
        rows = self.rows(*names)
        if not rows:
            return None
        by_labels = {tuple(sorted(lab.items())): v for lab, v in self.rows(*weights)}
        w = [by_labels.get(tuple(sorted(lab.items()))) for lab, _ in rows]
        if None in w or not sum(w):
            return sum(v for _, v in rows) / len(rows)
        return sum(v * x for (_, v), x in zip(rows, w)) / sum(w)

    @property
    def style(self) -> str:
        """`vllm`, `sglang` or `unknown`, from the metric-name prefixes."""
        prefixes = {name.split(":", 1)[0] for name in self.samples if ":" in name}
        return next((s for s in ("vllm", "sglang") if s in prefixes), "unknown")


def parse_exposition(text: str, source: str, taken_at: float | None = None) -> Scrape:
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    stamps = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise InputError(f"{source}:{lineno}: not a Prometheus sample line: {line[:80]!r}")
        name, labels, value, stamp = m.groups()
        try:
            number = float(value)
        except ValueError:
            raise InputError(f"{source}:{lineno}: value {value!r} is not a number") from None
        samples.setdefault(name, []).append((dict(_LABEL.findall(labels or "")), number))
        if stamp:
            stamps.append(int(stamp) / 1000.0)
    if not samples:
        raise InputError(f"{source}: no metrics in it (is it a Prometheus /metrics scrape?)")
    return Scrape(source, samples, taken_at if taken_at is not None else max(stamps, default=None))


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def fetch(source: str) -> Scrape:
    """Scrape a URL now, or read a saved scrape file."""
    if is_url(source):
        try:
            response = httpx.get(source, timeout=10.0)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise InputError(f"cannot scrape {source}: {exc}") from exc
        return parse_exposition(response.text, source, taken_at=time.time())
    path = Path(source)
    if not path.is_file():
        raise InputError(f"metrics file {source} does not exist (give a file or an http URL)")
    return parse_exposition(path.read_text(encoding="utf-8"), source)
