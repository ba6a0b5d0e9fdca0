"""Deterministic translators: a validated spec -> code files per target."""

from __future__ import annotations

from typing import Callable

from translators.targets.divkit import render_divkit_json, render_divkit_ts
from translators.targets.html import render_html
from translators.targets.react_tsx import component_name, render_tsx
from translators.ui_spec.models import Spec

TARGETS = ("react_tsx", "divkit", "html")


def _react(spec: Spec) -> dict[str, str]:
    return {f"{component_name(spec)}.tsx": render_tsx(spec)}


def _divkit(spec: Spec) -> dict[str, str]:
    return {f"{spec.screen}.divkit.json": render_divkit_json(spec), f"{spec.screen}.divkit.ts": render_divkit_ts(spec)}


def _html(spec: Spec) -> dict[str, str]:
    return {f"{spec.screen}.html": render_html(spec)}


RENDERERS: dict[str, Callable[[Spec], dict[str, str]]] = {"react_tsx": _react, "divkit": _divkit, "html": _html}


def translate(spec: Spec, targets: tuple[str, ...] = TARGETS) -> dict[str, dict[str, str]]:
    """{target: {file name: source}} for a spec that passed `check_spec` for these targets."""
    unknown = [t for t in targets if t not in RENDERERS]
    if unknown:
        raise ValueError(f"unknown targets {unknown}; known: {', '.join(RENDERERS)}")
    return {t: RENDERERS[t](spec) for t in targets}


__all__ = ["RENDERERS", "TARGETS", "translate"]
