"""Approximate token counts for prompt-size figures (no tokenizer files are shipped).

The split follows the GPT-4 pre-tokenizer's shape (letters, up to 3 digits, punctuation runs,
whitespace); every BPE token lies inside one such piece, so this is a lower bound that tracks
BPE counts closely on code and JSON. Pass `count=` a real tokenizer's counter when one exists.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

_PIECE = re.compile(
    r"'(?:s|t|re|ve|m|ll|d)|[^\r\n\w]?[^\W\d_]+|\d{1,3}| ?[^\s\w]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    re.I,
)

Counter = Callable[[str], int]


def approx_tokens(text: str) -> int:
    return len(_PIECE.findall(text))


def json_tokens(value: Any, count: Counter = approx_tokens) -> int:
    """Tokens of `value` as minified JSON (how the REST API sends it)."""
    return count(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
