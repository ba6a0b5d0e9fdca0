"""Registries whose entries are import strings ("module:attr"), loaded on first use, so that
heavy optional parts (math-verify, reasoning-gym, the MoE model) load only when used."""

from __future__ import annotations

import importlib
from typing import Any


def load(table: dict[str, Any], name: str) -> Any:
    """The object registered as `name`, importing it (once) if it is still an import string."""
    target = table[name]
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module), attr)
        table[name] = target
    return target
