"""Dataset source for recipes: Figma JSON files -> items {id, path, frame}.

Registered by the engine as the `figma` source (`translators.figma.dataset:figma_items`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from translators.errors import FigmaInputError
from translators.figma.load import parse_file, select_frame

REPO_ROOT = Path(__file__).resolve().parents[2]


def _resolve(path: str) -> Path:
    candidate = Path(path)
    if candidate.exists() or candidate.is_absolute():
        return candidate
    return REPO_ROOT / candidate  # relative to the checkout, as in the recipe's defaults


def figma_items(path: str = "translators/fixtures", frame: str = "", **_: Any) -> list[dict[str, Any]]:
    """One item per .json file (a file, or every file of a folder).

    Every file is parsed and its frame picked here, so bad input (invalid JSON, no frames, an
    unknown frame id) stops the run with one clear error before any model call."""
    root = _resolve(path)
    if root.is_dir():
        files = sorted(p for p in root.glob("*.json"))
    elif root.is_file():
        files = [root]
    else:
        raise FigmaInputError(f"{path}: no such Figma file or folder\n    fix: pass -p figma=<file.json or folder>")
    if not files:
        raise FigmaInputError(f"{path}: the folder holds no .json files\n    fix: point figma= at saved REST responses")
    for file in files:
        select_frame(parse_file(file), frame or None)
    return [{"id": p.stem, "path": str(p), "frame": frame} for p in files]
