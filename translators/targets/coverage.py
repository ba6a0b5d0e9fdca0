"""What a target does not draw of a spec: listed per screen in the run's report, so that no
feature is dropped silently (HTML and React draw everything the spec holds)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from translators.ui_spec.models import Spec, node_children, shadows

_DIVKIT_RULES = (
    ("paragraph spacing", lambda n: getattr(n, "paragraph_spacing", None)),
    ("italic text", lambda n: getattr(n, "italic", None) or any(s.italic for s in getattr(n, "spans", None) or [])),
    ("text case", lambda n: getattr(n, "case", None)),
    ("layer blur", lambda n: n.blur),
    ("background blur", lambda n: n.backdrop_blur),
    ("inner shadow", lambda n: any(s.inset for s in shadows(n))),
    ("second shadow", lambda n: sum(not s.inset for s in shadows(n)) > 1),
    ("per-side border", lambda n: n.border is not None and n.border.sides is not None and len(set(n.border.sides)) > 1),
    ("outside/centre stroke", lambda n: n.border is not None and n.border.align != "inside"),
    ("min/max size", lambda n: any(getattr(n, k) is not None for k in ("min_w", "max_w", "min_h", "max_h"))),
    ("reversed z-order", lambda n: getattr(n, "reverse_z", None)),
    ("scale constraint (placed as at design size)", lambda n: n.pin is not None and "scale" in n.pin),
    ("justified text", lambda n: getattr(n, "text_align", None) == "justify"),
)


def not_drawn(spec: Spec) -> dict[str, list[str]]:
    """{target: ['feature (N nodes)', ...]} for the targets that leave something out."""
    found: Counter[str] = Counter()
    todo: list[Any] = [spec.root]
    while todo:
        node = todo.pop()
        found.update(name for name, rule in _DIVKIT_RULES if rule(node))
        todo.extend(node_children(node))
    divkit = [f"{name} ({count} node{'s' if count > 1 else ''})" for name, count in sorted(found.items())]
    return {"divkit": divkit} if divkit else {}
