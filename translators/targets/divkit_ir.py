"""A tiny IR of `@divkitframework/jsonbuilder` calls, rendered two ways from one tree:
as the card's JSON and as TypeScript source that builds the same JSON through the typed
builder (so `tsc` checks every field)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from translators.targets.escape import divkit_text, js_string

# builder class -> DivKit `type`
TYPES = {
    "DivContainer": "container", "DivText": "text", "DivImage": "image", "DivSeparator": "separator",
    "DivGallery": "gallery", "DivGrid": "grid", "DivInput": "input", "DivSwitch": "switch",
    "DivSolidBackground": "solid", "DivLinearGradient": "gradient", "DivRadialGradient": "radial_gradient",
    "DivStrokeStyleDashed": "dashed", "DivImageBackground": "image",
    "StringVariable": "string", "BooleanVariable": "boolean",
}
HELPERS = {"fixed": "fixed", "matchParent": "match_parent", "wrapContent": "wrap_content"}
_BARE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class New:
    """`new Cls({...props})`."""

    cls: str
    props: dict[str, Any] = field(default_factory=dict)


@dataclass
class Call:
    """`fixed(n)`, `matchParent()`, `wrapContent()`."""

    fn: str
    args: tuple[Any, ...] = ()


def to_json(value: Any) -> Any:
    """The JSON the builder produces for `value` (strings escaped as its toJSON does)."""
    if isinstance(value, New):
        return {"type": TYPES[value.cls], **{k: to_json(v) for k, v in value.props.items()}}
    if isinstance(value, Call):
        out: dict[str, Any] = {"type": HELPERS[value.fn]}
        if value.fn == "fixed":
            out["value"] = value.args[0]
        return out
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, str):
        return divkit_text(value)
    return value


def to_ts(value: Any, depth: int = 0) -> str:
    """TypeScript source building `value`; strings stay raw (the builder escapes them)."""
    pad = "  " * (depth + 1)
    end = "  " * depth
    if isinstance(value, New):
        return f"new {value.cls}({to_ts(value.props, depth)})"
    if isinstance(value, Call):
        return f"{value.fn}({', '.join(to_ts(a, depth) for a in value.args)})"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{k if _BARE_KEY.match(k) else js_string(k)}: {to_ts(v, depth + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{end}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + "\n".join(f"{pad}{to_ts(v, depth + 1)}," for v in value) + f"\n{end}]"
    if isinstance(value, str):
        return js_string(value)
    if isinstance(value, bool) or value is None:
        raise TypeError(f"DivKit IR takes 1/0 for booleans, not {value!r}")
    return json.dumps(value)


def classes_used(value: Any, found: set[str] | None = None) -> set[str]:
    """Builder names to import."""
    found = set() if found is None else found
    if isinstance(value, New):
        found.add(value.cls)
        classes_used(value.props, found)
    elif isinstance(value, Call):
        found.add(value.fn)
        for arg in value.args:
            classes_used(arg, found)
    elif isinstance(value, dict):
        for v in value.values():
            classes_used(v, found)
    elif isinstance(value, list):
        for v in value:
            classes_used(v, found)
    return found
