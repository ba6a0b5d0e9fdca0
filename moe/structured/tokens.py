"""Which tokens of a vocabulary keep an answer inside its grammar: a trie of the tokens' texts,
walked with the matcher so that a prefix no continuation fits prunes every token under it."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from moe.structured.grammar import Str
from moe.structured.matcher import Matcher, States


MEMO_LIMIT = 1024
"""Masks kept per matcher and vocabulary (4 KB each here) before the memo starts over."""
VOCABULARIES_KEPT = 4
"""Vocabularies (engines) whose masks a matcher keeps at once."""


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
        self.longest = max((len(t) for t in texts), default=0)
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
        return np.flatnonzero(self.bias(matcher, states) == 0)

    def bias(self, matcher: Matcher, states: States) -> np.ndarray:
        """0 for the tokens that may come next, -inf for the rest: added to a row of logits."""
        if self not in matcher.memo and len(matcher.memo) >= VOCABULARIES_KEPT:
            matcher.memo.clear()  # engines come and go (tests make many): keep a few
        memo = matcher.memo.setdefault(self, {})  # masks are this vocabulary's
        found = memo.get(states)  # the exact states seen before: no key to build
        if found is None:
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            key = self._key(states)
            found = memo.get(key)
            if found is None:
                ids = [self.eos_id] if matcher.can_end(states) else []
                self._walk(self._root, matcher, states, ids)
                # No token continues it (a character outside the vocabulary, say): end the
                # choice rather than sample from nothing.
                ids = ids or [self.eos_id]
                found = np.full(self.size, -np.inf, dtype=np.float32)
                found[ids] = 0.0
                memo[key] = found
            memo[states] = found
        return found

    def _key(self, states: States) -> frozenset:
        """`states` with each open string's length replaced by what the next token can see of
        it (how far to its minimum and maximum, up to the longest token), so that the steps of
        a bounded string share one mask instead of walking the trie at every character."""
        key = []
        for stack in states:
            if stack is not None and type(stack[0][0]) is Str and stack[0][1][0] == 1:
                (node, (phase, length)), parent = stack
                near = (min(max(node.min_len - length, 0), self.longest + 1),
                        None if node.max_len is None else min(node.max_len - length, self.longest + 1))
                stack = ((node, (phase, near)), parent)
            key.append(stack)
        return frozenset(key)

    def _walk(self, node: _Node, matcher: Matcher, states: States, ids: list[int]) -> None:
        for ch, kid in node.kids.items():
            after = matcher.step(states, ch)
            if after:
                ids.extend(kid.ids)
                self._walk(kid, matcher, after, ids)

    def mask(self, logits: np.ndarray, matcher: Matcher, states: States) -> np.ndarray:
        """A copy of one row of logits with every token that would leave the grammar at -inf."""
        return logits + self.bias(matcher, states)
