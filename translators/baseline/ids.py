"""Spec ids from layer names: lowercase slugs, unique per screen (`title`, `title_2`, ...)."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def slug(name: str, limit: int = 32) -> str:
    """'Sign in button' -> 'sign_in_button'; '' when nothing usable is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", ascii_name).lower()
    text = _NON_WORD.sub("_", words).strip("_")[:limit].strip("_")
    if text and not text[0].isalpha():
        text = f"n_{text}"[:limit]
    return text


class IdAllocator:
    """Hands out unique ids; a taken base gets `_2`, `_3`, ... appended."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, base: str, fallback: str) -> str:
        stem = slug(base) or fallback
        candidate, n = stem, 1
        while candidate in self.used:
            n += 1
            candidate = f"{stem}_{n}"
        self.used.add(candidate)
        return candidate
