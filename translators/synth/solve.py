"""Figma auto-layout for `D` trees: hug sizes bottom-up, fill sizes top-down, then positions.

Text is measured with Arial-like advance widths (the browser check renders with Liberation
Sans, metric-compatible with Arial), wrapped greedily at word boundaries.
"""

from __future__ import annotations

import math

from translators.synth.design import D

LINE_HEIGHT = 1.2  # `auto` line height; the HTML target uses the same default
_NARROW = set("iljtf.,:;'|!()[] ")
_WIDE = set("mwMW@%")


def char_width(ch: str, size: float, weight: int) -> float:
    if ch in _NARROW:
        unit = 0.28
    elif ch in _WIDE:
        unit = 0.83
    elif ch.isupper() or ch.isdigit():
        unit = 0.64 if ch.isupper() else 0.556
    else:
        unit = 0.52
    return unit * size * (1.06 if weight >= 600 else 1.0)


def text_width(line: str, size: float, weight: int) -> float:
    return sum(char_width(c, size, weight) for c in line)


def line_height(node: D) -> float:
    return node.line_height or round(node.font[0] * LINE_HEIGHT)


def wrap_lines(node: D, width: float | None) -> list[str]:
    size, weight = node.font
    lines: list[str] = []
    for para in node.text.split("\n"):
        if width is None:
            lines.append(para)
            continue
        current = ""
        for word in para.split(" "):
            trial = f"{current} {word}" if current else word
            if current and text_width(trial, size, weight) > width + 0.5:
                lines.append(current)
                current = word
            else:
                current = trial
        lines.append(current)
    return lines


def layout(root: D) -> D:
    """Give every node its final size (fw, fh) and screen position (ax, ay)."""
    _assign_width(root, root.w)
    _assign_height(root, root.h)
    _place(root, 0.0, 0.0)
    return root


def _flow(node: D) -> list[D]:
    return [c for c in node.children if c.visible and not (c.absolute or node.layout is None)]


def _horizontal(node: D) -> bool:
    return node.layout == "HORIZONTAL"


def hug_width(node: D) -> float:
    if node.sizing[0] == "FIXED" or node.type not in ("FRAME", "INSTANCE", "COMPONENT", "TEXT", "GROUP"):
        return node.w
    if node.type == "TEXT":
        size, weight = node.font
        return math.ceil(max(text_width(line, size, weight) for line in node.text.split("\n")))
    if node.layout is None:
        return node.w
    kids = _flow(node)
    pad_x = node.pad[1] + node.pad[3]
    if not kids:
        return pad_x
    widths = [c.w if c.sizing[0] == "FIXED" else hug_width(c) for c in kids]
    if node.layout == "GRID":
        cols = max(1, node.columns)
        return max(widths) * cols + node.gap * (cols - 1) + pad_x
    if _horizontal(node) and not node.wrap:
        return sum(widths) + node.gap * (len(kids) - 1) + pad_x
    return max(widths) + pad_x


def _assign_width(node: D, width: float) -> None:
    node.fw = width
    inner = width - node.pad[1] - node.pad[3]
    kids = _flow(node)
    for child in node.children:
        if child not in kids:
            _assign_width(child, hug_width(child))
    if node.layout == "GRID":
        cell = (inner - node.gap * (max(1, node.columns) - 1)) / max(1, node.columns)
        for child in kids:
            _assign_width(child, cell if child.sizing[0] == "FILL" else hug_width(child))
    elif _horizontal(node) and not node.wrap:
        fixed = [hug_width(c) for c in kids if c.sizing[0] != "FILL"]
        fills = [c for c in kids if c.sizing[0] == "FILL"]
        share = max(0.0, inner - sum(fixed) - node.gap * (len(kids) - 1)) / max(1, len(fills))
        for child in kids:
            _assign_width(child, share if child.sizing[0] == "FILL" else hug_width(child))
    else:
        for child in kids:
            _assign_width(child, inner if child.sizing[0] == "FILL" else hug_width(child))


def hug_height(node: D) -> float:
    if node.sizing[1] == "FIXED" or node.type not in ("FRAME", "INSTANCE", "COMPONENT", "TEXT", "GROUP"):
        return node.h
    if node.type == "TEXT":
        width = None if node.sizing[0] == "HUG" else node.fw
        return len(wrap_lines(node, width)) * line_height(node)
    if node.layout is None:
        return node.h
    kids = _flow(node)
    pad_y = node.pad[0] + node.pad[2]
    if not kids:
        return pad_y
    heights = [c.h if c.sizing[1] == "FIXED" else hug_height(c) for c in kids]
    if node.layout == "GRID" or node.wrap:
        rows = _rows(node, kids)
        tall = [max(heights[kids.index(c)] for c in r) for r in rows]
        return sum(tall) + node.gap * (len(rows) - 1) + pad_y
    if _horizontal(node):
        return max(heights) + pad_y
    return sum(heights) + node.gap * (len(kids) - 1) + pad_y


def _rows(node: D, kids: list[D]) -> list[list[D]]:
    if node.layout == "GRID":
        cols = max(1, node.columns)
        return [kids[i:i + cols] for i in range(0, len(kids), cols)]
    inner = node.fw - node.pad[1] - node.pad[3]
    rows: list[list[D]] = [[]]
    used = 0.0
    for child in kids:
        need = child.fw + (node.gap if rows[-1] else 0)
        if rows[-1] and used + need > inner + 0.5:
            rows.append([])
            used, need = 0.0, child.fw
        rows[-1].append(child)
        used += need
    return rows


def _assign_height(node: D, height: float) -> None:
    node.fh = height
    inner = height - node.pad[0] - node.pad[2]
    kids = _flow(node)
    for child in node.children:
        if child not in kids:
            _assign_height(child, hug_height(child))
    vertical = node.layout == "VERTICAL"
    fills = [c for c in kids if c.sizing[1] == "FILL"] if vertical else []
    fixed = sum(hug_height(c) for c in kids if c not in fills)
    share = max(0.0, inner - fixed - node.gap * (len(kids) - 1)) / max(1, len(fills))
    for child in kids:
        if child in fills:
            _assign_height(child, share)
        elif child.sizing[1] == "FILL" and node.layout == "HORIZONTAL" and not node.wrap:
            _assign_height(child, inner)
        else:
            _assign_height(child, hug_height(child))


def _place(node: D, ax: float, ay: float) -> None:
    node.ax, node.ay = ax, ay
    kids = _flow(node)
    for child in node.children:
        if child not in kids:
            _place(child, ax + child.x, ay + child.y)
    if not kids:
        return
    if node.layout == "GRID" or node.wrap:
        _place_rows(node, kids)
        return
    horizontal = _horizontal(node)
    main_size = node.fw - node.pad[1] - node.pad[3] if horizontal else node.fh - node.pad[0] - node.pad[2]
    sizes = [c.fw if horizontal else c.fh for c in kids]
    free = main_size - sum(sizes) - node.gap * (len(kids) - 1)
    gap = node.gap
    start = node.pad[3] if horizontal else node.pad[0]
    if node.main == "CENTER":
        start += free / 2
    elif node.main == "MAX":
        start += free
    elif node.main == "SPACE_BETWEEN" and len(kids) > 1:
        gap = (main_size - sum(sizes)) / (len(kids) - 1)
    cursor = start
    for child, size in zip(kids, sizes):
        offset = _cross_offset(node, child, horizontal)
        if horizontal:
            _place(child, ax + cursor, ay + offset)
        else:
            _place(child, ax + offset, ay + cursor)
        cursor += size + gap


def _cross_offset(node: D, child: D, horizontal: bool) -> float:
    if horizontal:
        lead, room, size = node.pad[0], node.fh - node.pad[0] - node.pad[2], child.fh
    else:
        lead, room, size = node.pad[3], node.fw - node.pad[1] - node.pad[3], child.fw
    if node.cross == "CENTER":
        return lead + (room - size) / 2
    if node.cross == "MAX":
        return lead + room - size
    return lead


def _place_rows(node: D, kids: list[D]) -> None:
    y = node.ay + node.pad[0]
    for row in _rows(node, kids):
        x = node.ax + node.pad[3]
        if node.layout == "GRID":
            cell = (node.fw - node.pad[1] - node.pad[3] - node.gap * (max(1, node.columns) - 1)) / max(1, node.columns)
        for child in row:
            _place(child, x, y)
            x += (cell if node.layout == "GRID" else child.fw) + node.gap
        y += max(c.fh for c in row) + node.gap
