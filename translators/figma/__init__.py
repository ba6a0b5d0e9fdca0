"""Figma ingest: saved REST JSON -> normalised tree -> compact text for the prompt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translators.errors import FigmaInputError
from translators.figma.compact import compact_tree, meaningful_name
from translators.figma.load import FigmaFile, Frame, parse_file, select_frame
from translators.figma.nodes import FNode, Normalized, Warning, normalize
from translators.figma.tokens import approx_tokens, json_tokens


@dataclass
class Ingested:
    """One screen read from a Figma file."""

    file: FigmaFile
    frame: Frame
    root: FNode
    warnings: list[Warning]
    dropped: int
    compact: str

    def stats(self) -> dict[str, Any]:
        """Size of the frame's raw JSON vs its compact text (approximate tokens)."""
        raw = json_tokens(self.frame.node)
        small = approx_tokens(self.compact)
        return {"raw_tokens": raw, "compact_tokens": small,
                "reduction": round(raw / small, 1) if small else None,
                "raw_chars": len(str(self.frame.node)), "compact_chars": len(self.compact)}


def ingest(source: str | bytes | Path | dict, frame_id: str | None = None, name: str | None = None) -> Ingested:
    """Read a /v1/files or /nodes response (path, text or parsed dict) and normalise one frame."""
    figma = parse_file(source, name)
    frame = select_frame(figma, frame_id)
    try:
        norm: Normalized = normalize(frame.node, figma.components)
    except ValueError as exc:
        raise FigmaInputError(f"{figma.source}: frame {frame.id} {frame.name!r}: {exc}") from exc
    return Ingested(figma, frame, norm.root, norm.warnings, norm.dropped, compact_tree(norm.root))


def compact(figma_json: str | bytes | Path | dict, frame_id: str | None = None) -> str:
    """The prompt text for one frame of a Figma file (see translators.figma.compact)."""
    return ingest(figma_json, frame_id).compact


__all__ = ["FNode", "FigmaFile", "Frame", "Ingested", "Warning", "compact", "ingest", "meaningful_name",
           "parse_file", "select_frame"]
