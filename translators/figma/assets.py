"""Image refs put back into a spec after the baseline or the model wrote it.

The model is not asked to copy Figma's opaque image hashes; the spec's images (and pictures
behind children) are matched, in document order, with the frame's image-filled layers, and
take their refs when the two lists have the same length (otherwise the spec is left as is).
"""

from __future__ import annotations

from typing import Any

from translators.figma.nodes import FNode
from translators.ui_spec.models import Spec


def image_refs(root: FNode) -> list[str | None]:
    """Refs of the image-filled layers below `root`, in document order."""
    out, todo = [], [root]
    while todo:
        node = todo.pop()
        if node.fill is not None and node.fill.kind == "image" and node is not root:
            out.append(node.fill.ref)
        todo.extend(reversed(node.children))
    return out


def attach_image_refs(spec: Spec, root: FNode) -> tuple[Spec, bool]:
    """(spec with refs, whether they were attached)."""
    refs = image_refs(root)
    data = spec.model_dump(exclude_none=True)
    holders = _holders(data["root"])
    if not refs or len(refs) != len(holders):
        return spec, False
    for holder, ref in zip(holders, refs):
        if ref is None:
            continue
        if holder.get("type") == "image":
            holder["ref"] = ref
        else:
            holder["bg_image"] = {**holder.get("bg_image", {}), "ref": ref}
    return Spec.model_validate(data), True


def use_fetched(spec: Spec, paths: dict[str, str]) -> Spec:
    """The spec with every image (and picture behind children) whose ref was fetched pointing at
    its local file (`images/<ref>.png`, see translators.figma.images_api); the rest unchanged."""
    if not paths:
        return spec
    data = spec.model_dump(exclude_none=True)
    for holder in _holders(data["root"]):
        fill = holder if holder.get("type") == "image" else holder.get("bg_image", {})
        if fill.get("ref") in paths:
            fill["src"] = paths[fill["ref"]]
    return Spec.model_validate(data)


def _holders(node: dict[str, Any]) -> list[dict[str, Any]]:
    out, todo = [], [node]
    while todo:
        item = todo.pop()
        if item.get("type") == "image" or "bg_image" in item:
            out.append(item)
        kids = [item["template"]] if "template" in item else item.get("children", [])
        todo.extend(reversed(kids))
    return out


__all__ = ["attach_image_refs", "image_refs", "use_fetched"]
