"""A TEXT node's characters, base style, styled ranges, link and paragraph spacing.

Figma stores styled ranges as one override id per character (`characterStyleOverrides`, in
UTF-16 code units, shorter than the text when the tail uses the base style) and a table of
partial styles (`styleOverrideTable`); they become spans [start, end) over the cleaned text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from translators.figma import paint
from translators.figma.fields import integer, num, token
from translators.ui_spec.semantics import BAD_CHAR

LINK_RE = re.compile(r"^https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{1,500}$")
_CASES = {"UPPER": "upper", "LOWER": "lower", "TITLE": "title"}
_DECORATIONS = {"UNDERLINE": "underline", "STRIKETHROUGH": "strikethrough"}
_ALIGN = {"CENTER": "center", "RIGHT": "right", "JUSTIFIED": "justify"}


@dataclass
class TextStyle:
    size: int = 16
    weight: int = 400
    color: str | None = None
    align: str = "left"
    line_height: int | None = None
    family: str | None = None
    italic: bool = False
    letter_spacing: float = 0.0
    case: str | None = None
    """upper | lower | title"""
    decoration: str | None = None
    """underline | strikethrough"""
    paragraph_spacing: int = 0
    """Space after each paragraph (line break) in px."""
    link: str | None = None
    """The whole text links to this URL."""
    spans: list[dict[str, Any]] = field(default_factory=list)
    """Styled ranges: {start, end, weight?, italic?, color?, size?, font?, decoration?, link?}."""


@dataclass
class ReadText:
    text: str
    style: TextStyle
    warnings: list[str]


def read_text(raw: dict[str, Any]) -> ReadText:
    """Characters, style and ranges of one TEXT node; what cannot be carried becomes a warning."""
    warnings = []
    chars = raw.get("characters")
    if not isinstance(chars, str):
        warnings.append("TEXT without characters: empty text used")
        chars = ""
    runs = _runs(chars, raw.get("characterStyleOverrides"))
    table = raw.get("styleOverrideTable") if isinstance(raw.get("styleOverrideTable"), dict) else {}
    text = "".join(clean_text(run) for run, _ in runs)
    if text != _newlines(chars):
        warnings.append("control or non-characters removed from the text")
    base = raw.get("style") if isinstance(raw.get("style"), dict) else {}
    style = _style(base, raw.get("fills"))
    if paint.gradient_mean(raw.get("fills")) is not None:
        style.color = paint.gradient_mean(raw.get("fills"))
        warnings.append("gradient text drawn in the gradient's mean colour (no target draws gradient text)")
    style.link, note = _link(base.get("hyperlink"))
    warnings += [note] if note else []
    style.spans, notes = _spans(runs, table, style)
    warnings += notes
    return ReadText(text, style, warnings)


def clean_text(text: str) -> str:
    """Figma's U+2028 soft breaks as newlines; controls no target can carry removed."""
    return BAD_CHAR.sub("", _newlines(text))


def _newlines(text: str) -> str:
    return text.replace("\u2028", "\n").replace("\r\n", "\n").replace("\r", "\n")


def _style(style: dict[str, Any], fills: Any) -> TextStyle:
    fill = paint.top_fill(fills)
    return TextStyle(
        size=min(400, max(1, integer(style.get("fontSize"), 16))),
        weight=_weight(style.get("fontWeight"), 400),
        color=fill.color if fill else None,
        align=_ALIGN.get(token(style.get("textAlignHorizontal")), "left"),
        line_height=_explicit_line_height(style),
        family=style.get("fontFamily") if isinstance(style.get("fontFamily"), str) else None,
        italic=style.get("italic") is True,
        letter_spacing=round(num(style.get("letterSpacing"), 0.0), 2),
        case=_CASES.get(token(style.get("textCase"))),
        decoration=_DECORATIONS.get(token(style.get("textDecoration"))),
        paragraph_spacing=max(0, min(1000, integer(style.get("paragraphSpacing"), 0))),
    )


def _weight(value: Any, default: int) -> int:
    return min(900, max(100, round(integer(value, default) / 100) * 100))


def _explicit_line_height(style: dict[str, Any]) -> int | None:
    """Only a line height the designer set (PIXELS or %); INTRINSIC_% means `auto`."""
    if style.get("lineHeightUnit", "INTRINSIC_%") == "INTRINSIC_%":
        return None
    return min(800, max(0, integer(style.get("lineHeightPx"), 0))) or None


def _link(value: Any) -> tuple[str | None, str | None]:
    if not isinstance(value, dict):
        return None, None
    url = value.get("url")
    if value.get("type") == "URL" and isinstance(url, str) and LINK_RE.match(url):
        return url, None
    if value.get("type") == "NODE":
        return None, f"link to frame {value.get('nodeID')!s:.40} is not carried (prototype navigation)"
    return None, "link without an http(s) URL is not carried"


def _runs(chars: str, overrides: Any) -> list[tuple[str, int]]:
    """(characters, override id) runs; ids are read per UTF-16 unit, as Figma counts them."""
    ids = overrides if isinstance(overrides, list) else []
    runs: list[tuple[str, int]] = []
    unit = 0
    for ch in chars:
        ref = ids[unit] if unit < len(ids) and isinstance(ids[unit], int) else 0
        unit += 2 if ord(ch) > 0xFFFF else 1
        if runs and runs[-1][1] == ref:
            runs[-1] = (runs[-1][0] + ch, ref)
        else:
            runs.append((ch, ref))
    return runs


def _spans(runs: list[tuple[str, int]], table: dict[str, Any], base: TextStyle) -> tuple[list[dict[str, Any]], list[str]]:
    spans, notes, at = [], [], 0
    for chunk, ref in runs:
        length = len(clean_text(chunk))
        entry = table.get(str(ref)) if ref else None
        if isinstance(entry, dict) and length:
            span, note = _span(entry, base)
            if span:
                spans.append({"start": at, "end": at + length, **span})
            notes += [note] if note else []
        at += length
    return spans[:200], sorted(set(notes))


def _span(entry: dict[str, Any], base: TextStyle) -> tuple[dict[str, Any], str | None]:
    """What one override changes against the base style."""
    out: dict[str, Any] = {}
    if "fontWeight" in entry and (weight := _weight(entry["fontWeight"], base.weight)) != base.weight:
        out["weight"] = weight
    if entry.get("italic") is True and not base.italic:
        out["italic"] = True
    if "fontSize" in entry and (size := min(400, max(1, integer(entry["fontSize"], base.size)))) != base.size:
        out["size"] = size
    if isinstance(entry.get("fontFamily"), str) and entry["fontFamily"] != base.family:
        out["font"] = entry["fontFamily"]
    if (decoration := _DECORATIONS.get(token(entry.get("textDecoration")))) and decoration != base.decoration:
        out["decoration"] = decoration
    fill = paint.top_fill(entry.get("fills"))
    if fill is not None and fill.color and fill.color != base.color:
        out["color"] = fill.color
    link, note = _link(entry.get("hyperlink"))
    if link:
        out["link"] = link
    return out, note
