"""Read a saved Figma REST response (GET /v1/files/:key or /v1/files/:key/nodes) and pick a frame."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from translators.errors import FigmaInputError

FRAME_TYPES = frozenset({"FRAME", "COMPONENT", "COMPONENT_SET", "INSTANCE", "SECTION", "GROUP"})
MAX_JSON_DEPTH = 400
"""Deepest JSON nesting read (about 190 layer levels; real files stay under 40)."""
_FIX_JSON = "save the response body of GET /v1/files/:key (or /nodes?ids=) unchanged"


@dataclass(frozen=True)
class Frame:
    """A screen candidate: a top-level frame of a page, or a node of a /nodes response."""

    id: str
    name: str
    page: str
    node: dict[str, Any]


@dataclass
class FigmaFile:
    """A parsed response: its frames and the component names instances refer to."""

    name: str
    source: str
    frames: list[Frame]
    components: dict[str, str] = field(default_factory=dict)
    """componentId -> display name (`Set/Variant=...` for variants)."""


def read_json(source: str | bytes | Path | dict, name: str | None = None) -> tuple[Any, str]:
    """Parse JSON from a path, text or bytes (a dict passes through); errors say file:line:col.

    A str is JSON text when it starts with `{` or `[`, otherwise a file path.
    """
    if isinstance(source, dict):
        return source, name or "<figma json>"
    if isinstance(source, str) and not source.lstrip().startswith(("{", "[")):
        source = Path(source)
    if isinstance(source, Path):
        label = name or str(source)
        try:
            source = source.read_bytes()
        except OSError as exc:
            raise FigmaInputError(f"{label}: cannot read the Figma file: {exc.strerror}") from exc
    else:
        label = name or "<figma json>"
    try:
        data = json.loads(source)
    except RecursionError:
        data = None  # deeper than Python's parser goes: reported as too deep below
    except json.JSONDecodeError as exc:
        raise FigmaInputError(f"{label}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}\n    fix: {_FIX_JSON}") from exc
    except UnicodeDecodeError as exc:
        raise FigmaInputError(f"{label}: not UTF-8 text ({exc.reason})\n    fix: {_FIX_JSON}") from exc
    if data is None or json_depth(data) > MAX_JSON_DEPTH:
        raise FigmaInputError(f"{label}: the JSON is nested deeper than {MAX_JSON_DEPTH} levels "
                              f"(about {MAX_JSON_DEPTH // 2 - 10} layer levels)\n"
                              "    fix: export the frame you need (GET /v1/files/:key/nodes?ids=<frame id>) "
                              "or flatten the deepest groups")
    return data, label


def json_depth(value: Any) -> int:
    """Deepest nesting of dicts and lists, walked without recursion (a hostile file cannot
    exhaust the stack); stops counting once past MAX_JSON_DEPTH."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            todo.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_file(source: str | bytes | Path | dict, name: str | None = None) -> FigmaFile:
    """A FigmaFile from a /v1/files or /v1/files/:key/nodes response, or from one bare node."""
    data, label = read_json(source, name)
    if not isinstance(data, dict):
        raise FigmaInputError(f"{label}: expected a JSON object, got {type(data).__name__}\n    fix: {_FIX_JSON}")
    if isinstance(data.get("document"), dict):
        doc = data["document"]
        frames = _bare_frames(doc) if doc.get("type") not in (None, "DOCUMENT") else _page_frames(doc)
        comps = _components(data)
    elif isinstance(data.get("nodes"), dict):
        frames, comps = _node_frames(data["nodes"], label)
    elif isinstance(data.get("type"), str):
        frames, comps = _bare_frames(data), {}
    else:
        keys = ", ".join(sorted(map(str, data))[:8]) or "none"
        raise FigmaInputError(
            f"{label}: not a Figma REST response: no 'document' or 'nodes' key (keys: {keys})\n    fix: {_FIX_JSON}")
    if not frames:
        raise FigmaInputError(f"{label}: no frames: {_describe_pages(data)}\n"
                              "    fix: export a file whose pages hold at least one top-level FRAME")
    return FigmaFile(str(data.get("name") or label), label, frames, comps)


def select_frame(figma: FigmaFile, frame_id: str | None = None) -> Frame:
    """The frame with `frame_id`, or the only frame; otherwise a clear error listing them."""
    listing = ", ".join(f"{f.id} {f.name!r}" for f in figma.frames[:20])
    listing += f" (and {len(figma.frames) - 20} more)" if len(figma.frames) > 20 else ""
    if frame_id:
        for frame in figma.frames:
            if frame.id == frame_id:
                return frame
        raise FigmaInputError(f"{figma.source}: frame {frame_id!r} not found; frames: {listing}\n"
                              f"    fix: pass one of these ids (frame=<id>, e.g. -p frame={figma.frames[0].id})")
    screens = [f for f in figma.frames if f.node.get("type") != "COMPONENT_SET"] or figma.frames
    if len(screens) == 1:
        return screens[0]
    if screens and all(f.node.get("type") in ("COMPONENT", "INSTANCE") for f in screens[1:]) \
            and screens[0].node.get("type") == "FRAME":
        return screens[0]  # one screen plus a components page
    raise FigmaInputError(f"{figma.source}: {len(screens)} frames, pick one: {listing}\n"
                          f"    fix: pass frame=<id> (pipe run: -p frame={screens[0].id})")


def _frame(node: dict[str, Any], page: str) -> Frame:
    return Frame(str(node.get("id", "?")), str(node.get("name", "")), page, node)


def _page_frames(document: dict[str, Any]) -> list[Frame]:
    frames = []
    for page in _dicts(document.get("children")):
        frames += _canvas_frames(page)
    frames.sort(key=lambda f: f.node.get("type") != "FRAME")  # screens before component masters
    return frames


def _canvas_frames(page: dict[str, Any]) -> list[Frame]:
    """The screens of one page (CANVAS): its top-level frames, those inside sections too."""
    page_name, frames = str(page.get("name", "")), []
    for node in _dicts(page.get("children")):
        if node.get("type") == "SECTION":
            frames += [_frame(n, page_name) for n in _dicts(node.get("children")) if n.get("type") == "FRAME"]
        elif node.get("type") in ("FRAME", "COMPONENT", "COMPONENT_SET"):
            frames.append(_frame(node, page_name))
    return frames


def _bare_frames(node: dict[str, Any]) -> list[Frame]:
    """A node saved on its own: a DOCUMENT or CANVAS holds screens, other containers are one."""
    kind = node.get("type")
    if kind == "DOCUMENT":
        return _page_frames(node)
    if kind == "CANVAS":
        return sorted(_canvas_frames(node), key=lambda f: f.node.get("type") != "FRAME")
    return [_frame(node, "")] if kind in FRAME_TYPES else []


def _node_frames(nodes: dict[str, Any], label: str) -> tuple[list[Frame], dict[str, str]]:
    frames, comps = [], {}
    for key, entry in nodes.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("document"), dict):
            continue  # Figma answers null for ids that do not exist
        frames += _bare_frames(entry["document"])
        comps.update(_components(entry))
    return frames, comps


def _components(data: dict[str, Any]) -> dict[str, str]:
    sets = {k: str(v.get("name", "")) for k, v in (data.get("componentSets") or {}).items() if isinstance(v, dict)}
    out = {}
    for key, comp in (data.get("components") or {}).items():
        if not isinstance(comp, dict):
            continue
        name = str(comp.get("name", ""))
        set_name = sets.get(str(comp.get("componentSetId", "")))
        out[str(key)] = f"{set_name}/{name}" if set_name else name
    return out


def _describe_pages(data: dict[str, Any]) -> str:
    document = data.get("document")
    if not isinstance(document, dict):
        if isinstance(data.get("type"), str):
            kinds = sorted({str(n.get("type")) for n in _dicts(data.get("children"))})
            return f"the root is a {data['type']} node holding {', '.join(kinds) or 'nothing'}"
        return "no node of the response is a FRAME, COMPONENT, INSTANCE or GROUP"
    pages = [document] if document.get("type") == "CANVAS" else _dicts(document.get("children"))
    parts = []
    for page in pages[:5]:
        kinds = sorted({str(n.get("type")) for n in _dicts(page.get("children"))})
        parts.append(f"page {page.get('name', '?')!r} holds {', '.join(kinds) or 'nothing'}")
    return "; ".join(parts) or "the document has no pages"


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
