"""Where a call's prices come from: the lookup order, and `--pricing SHEET_OR_PROFILE`.

The meter asks, in this order, and the first answer wins:

1. the recipe's `pricing:` (a path relative to the recipe, or a shipped name);
2. `--pricing SHEET_OR_PROFILE` (`RunOptions.pricing`; a path, or a shipped name such as
   `deepseek` or `embedded-cpu`);
3. the model id, whatever the URL: the shipped price sheets, then the shipped deployment
   profiles, by model name or alias (case-insensitive, then the part after a `provider/`
   prefix), so `moe-tiny` is priced from `embedded-cpu` on the embedded server, on
   `pipe serve` and on vLLM alike;
4. unknown (`usd=None`), never zero.

In 1 and 2 a price sheet prices the models it lists (others fall through), a deployment
profile prices every model (it says what your server costs, whatever it serves), and a
directory's sheets and profiles are matched by model like 3.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipelines.cost.derive import sheet_from_profile
from pipelines.cost.profiles import PROFILES_DIR, load_profile
from pipelines.cost.sheets import SHEETS_DIR, PriceSheet, load_sheet
from pipelines.cost.yamlio import read_yaml
from pipelines.errors import InputError

PRICING_FIX = "--pricing SHEET_OR_PROFILE (a YAML path or a shipped name: {names})"


@dataclass(frozen=True)
class PriceBook:
    """One sheet the meter may price from."""

    sheet: PriceSheet
    any_model: bool = False
    """A profile given as pricing: it prices every model, not only its own."""
    restrict: bool = True
    """Honour the sheet's `endpoint:` (off for a sheet file given explicitly)."""

    def key_for(self, endpoint: str, model: str) -> str | None:
        """The sheet's key for `model` on `endpoint`, or None when it does not price it."""
        if self.restrict and self.sheet.endpoint not in (None, endpoint):
            return None
        if self.any_model:
            return next(iter(self.sheet.models))
        names = self.sheet.names()
        low = model.lower()
        for name in dict.fromkeys([low, low.rsplit("/", 1)[-1]]):
            if name in names:
                return names[name]
        return None


def _shipped_paths() -> list[Path]:
    return sorted(SHEETS_DIR.glob("*.yaml")) + sorted(PROFILES_DIR.glob("*.yaml"))


def _book(path: Path, explicit: bool) -> PriceBook:
    """A sheet or profile file as a book (a profile given explicitly prices every model)."""
    data, _ = read_yaml(path)
    if "models" in data:
        return PriceBook(load_sheet(path), restrict=not explicit)
    if "hardware" in data:
        return PriceBook(sheet_from_profile(load_profile(path)), any_model=explicit)
    raise InputError(f"{path}: not a price sheet (needs `models:`) nor a deployment profile "
                     f"(needs `hardware:`); fix: see recipes/cost/sheets and recipes/cost/profiles")


def shipped_books() -> list[PriceBook]:
    """Step 3: the shipped sheets, then the shipped profiles (read again when a file changes)."""
    return list(_books_of(tuple((p, p.stat().st_mtime_ns) for p in _shipped_paths())))


@functools.lru_cache(maxsize=4)
def _books_of(stamped: tuple[tuple[Path, int], ...]) -> tuple[PriceBook, ...]:
    """Loading and deriving every shipped file takes ~75 ms: once per process, not per run."""
    return tuple(_book(path, explicit=False) for path, _ in stamped)


def shipped_names() -> list[str]:
    """Names `--pricing` accepts besides paths: file stems of the shipped sheets and profiles."""
    return [p.stem for p in _shipped_paths()]


def pricing_fix() -> str:
    return PRICING_FIX.format(names=", ".join(shipped_names()))


def resolve_pricing(spec: str | Path, base_dir: Path | None = None) -> Path:
    """A pricing spec as a file or directory: a path (relative to `base_dir` first, when
    given), else the shipped sheet or profile with that file stem or `name:`."""
    for candidate in ([Path(base_dir) / spec] if base_dir else []) + [Path(spec)]:
        if candidate.exists():
            return candidate
    for path in _shipped_paths():
        if str(spec) in (path.stem, read_yaml(path)[0].get("name")):
            return path
    raise InputError(f"pricing {str(spec)!r}: no such file, and no shipped sheet or profile of "
                     f"that name; fix: give a YAML path or one of {', '.join(shipped_names())}")


def books_for(spec: str | Path, base_dir: Path | None = None) -> list[PriceBook]:
    """Steps 1-2 for one spec: a file gives one book, a directory its sheets and profiles."""
    path = resolve_pricing(spec, base_dir)
    if path.is_dir():
        return [_book(p, explicit=False) for p in sorted(path.glob("*.yaml"))]
    return [_book(path, explicit=True)]


def windows_in_force(at: datetime) -> list[str]:
    """`kind name (models, HH:MM-HH:MM UTC)` for every shipped sheet or profile with an
    off-peak window in force at `at` (for the message of a sheet without one)."""
    found = []
    for book in shipped_books():
        sheet = book.sheet
        for key, prices in sheet.models.items():
            period = next((p for p in prices.periods if p.holds(at)), None)
            if period is None or not period.windows:
                continue
            w = period.windows[0]
            kind = "profile" if sheet.profile is not None else "sheet"
            found.append(f"{kind} {sheet.name} ({key}, {w.start:%H:%M}-{w.end:%H:%M} UTC)")
    return found
