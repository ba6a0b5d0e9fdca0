"""Which tokens of a vocabulary keep an answer inside its grammar: a trie of the tokens' texts,
walked with the matcher so that a prefix no continuation fits prunes every token under it."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from moe.structured.matcher import Matcher, States


class _Node:
    __slots__ = ("ids", "kids")

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.kids: dict[str, _Node] = {}


class TokenIndex:
    """The vocabulary's texts as a trie; `texts[i]` is token i's text ('' for control tokens)."""

    def __init__(self, texts: Sequence[str], eos_id: int):
        self.eos_id = eos_id
        self.size = len(texts)
        self._root = _Node()
        for token_id, text in enumerate(texts):
            if not text:
                continue
            node = self._root
            for ch in text:
                node = node.kids.setdefault(ch, _Node())
            node.ids.append(token_id)

    def allowed(self, matcher: Matcher, states: States) -> np.ndarray:
        """Ids of the tokens that may come next (end-of-sequence when the answer may end)."""
        found = matcher.memo.get(states)
        if found is None:
            ids = [self.eos_id] if matcher.can_end(states) else []
            self._walk(self._root, matcher, states, ids)
            found = matcher.memo[states] = np.array(sorted(ids), dtype=np.int64)
        return found

    def _walk(self, node: _Node, matcher: Matcher, states: States, ids: list[int]) -> None:
        for ch, kid in node.kids.items():
            after = matcher.step(states, ch)
            if after:
                ids.extend(kid.ids)
                self._walk(kid, matcher, after, ids)

    def mask(self, logits: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        """A copy of one row of logits with every token outside `allowed` at -inf."""
        out = np.full(logits.shape, -np.inf, dtype=logits.dtype)
        out[allowed] = logits[allowed]
        return out
