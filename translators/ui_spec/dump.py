"""Canonical, terse YAML for a spec: leaves on one line, containers as blocks, fixed key order."""

from __future__ import annotations

from typing import Any

import yaml

from translators.ui_spec.models import Spec

_KEY_ORDER = (
    "type", "id", "text", "bind", "label", "placeholder", "value", "name", "alt", "src", "ref",
    "kind", "checked", "direction", "columns", "w", "h", "min_w", "max_w", "min_h", "max_h", "x", "y", "pad", "gap",
    "cross_gap", "align", "cross",
    "size", "weight", "color", "font", "italic", "letter_spacing", "case", "decoration", "text_align",
    "line_height", "max_lines", "thickness", "fit",
    "bg", "gradient", "radius", "border", "shadow", "blur", "backdrop_blur", "opacity", "items", "template", "children",
)
_RANK = {k: i for i, k in enumerate(_KEY_ORDER)}


class _Dumper(yaml.SafeDumper):
    pass


def _tuple(dumper: yaml.SafeDumper, value: tuple) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(value), flow_style=True)


_Dumper.add_representer(tuple, _tuple)


def _ordered(value: Any) -> Any:
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (_RANK.get(k, len(_RANK)), k))
        return {k: _ordered(value[k]) for k in keys}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def spec_data(spec: Spec) -> dict[str, Any]:
    """The spec as plain data without unset or default fields."""
    data = spec.model_dump(mode="python", exclude_none=True, exclude_defaults=True)
    data.setdefault("root", {})
    return {
        "screen": spec.screen, "width": spec.width, "height": spec.height,
        **({"bg": spec.bg} if spec.bg else {}),
        **({"colors": dict(spec.colors)} if spec.colors else {}),
        "root": _ordered(_with_required(spec.root, data["root"])),
    }


def _with_required(node: Any, data: dict[str, Any]) -> dict[str, Any]:
    # exclude_defaults drops `type` only if it had a default; keep it explicit anyway.
    data["type"] = node.type
    data["id"] = node.id
    if hasattr(node, "template"):
        data["template"] = _with_required(node.template, data.get("template", {}))
    for i, child in enumerate(getattr(node, "children", None) or []):
        data["children"][i] = _with_required(child, data["children"][i])
    return data


def dump_spec(spec: Spec) -> str:
    """Canonical YAML text; `load_spec(dump_spec(s)) == s`."""
    return yaml.dump(spec_data(spec), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=None, width=1_000_000)
