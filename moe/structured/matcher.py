"""Walking a grammar (`moe.structured.grammar`) one character at a time.

A state is a stack of (node, data) frames held as a linked tuple `(frame, parent)`, so states
are immutable, hashable and share their tails. The top frame of every state is a node that
consumes characters (a literal, a string or a number); `None` in a set of states means the
answer may end here. A grammar is ambiguous only where the schema is (anyOf, enums, optional
keys), so sets stay small, and steps are memoised per set.
"""

from __future__ import annotations

import functools
from typing import Any

from moe.structured.grammar import CLOSE_OBJECT, Alt, Items, Lit, Num, Props, Ref, Seq, Str

States = frozenset
"""Stacks the text so far may be in; empty: no continuation matches."""
CACHE_LIMIT = 4096
"""Memoised steps per matcher before the memo starts over (a request's answer repeats states)."""

# Number automaton: 0 start, 1 after '-', 2 a leading 0, 3 integer digits, 4 after '.',
# 5 fraction digits, 6 after e/E, 7 after the exponent's sign, 8 exponent digits.
_NUM_ACCEPT = frozenset((2, 3, 5, 8))
MAX_DIGITS = {3: 16, 5: 16, 8: 2}
"""Digits per part of a number at most (integer, fraction, exponent): a double holds no more (an
exponent of three digits can overflow it to infinity),
and without a bound a model that has never seen JSON can write digits until max_tokens."""
_DIGITS, _NONZERO = frozenset("0123456789"), frozenset("123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_ESCAPES = frozenset('"\\/bfnrt')


def _number_step(state: int, ch: str, integer: bool) -> int | None:
    if state in (0, 1) and ch in _NONZERO:
        return 3
    if state in (0, 1) and ch == "0":
        return 2
    if state == 0 and ch == "-":
        return 1
    if state in (3, 5, 8) and ch in _DIGITS:
        return state
    if integer:
        return None
    if state in (2, 3) and ch == ".":
        return 4
    if state in (2, 3, 5) and ch in "eE":
        return 6
    if state == 4 and ch in _DIGITS:
        return 5
    if state == 6 and ch in "+-":
        return 7
    if state in (6, 7) and ch in _DIGITS:
        return 8
    return None


def _initial(node: Any) -> Any:
    return (0, False) if isinstance(node, Props) else (0, 0) if isinstance(node, (Str, Num)) else 0


def _push(node: Any, parent: Any, out: set) -> None:
    """Add every consuming state that starting `node` under `parent` can be in."""
    while isinstance(node, Ref):
        node = node.target
    if isinstance(node, Alt):
        for option in node.options:
            _push(option, parent, out)
    else:
        _settle(((node, _initial(node)), parent), out)


def _settle(stack: Any, out: set) -> None:
    """Expand `stack` until its top consumes characters (or the answer is complete: None)."""
    if stack is None:
        out.add(None)
        return
    (node, data), parent = stack
    kind = type(node)
    if kind is Lit or kind is Str:
        out.add(stack)
    elif kind is Num:
        out.add(stack)
        if data[0] in _NUM_ACCEPT:  # a number ends where something else begins
            _settle(parent, out)
    elif kind is Seq:
        if data == len(node.items):
            _settle(parent, out)
        else:
            _push(node.items[data], ((node, data + 1), parent), out)
    elif kind is Items:
        if data >= node.min:
            _push(node.close, parent, out)
        if node.max is None or data < node.max:
            _push(node.later if data else node.item, ((node, data + 1), parent), out)
    elif kind is Props:
        index, wrote = data
        if index == len(node.props):
            _push(CLOSE_OBJECT, parent, out)
            return
        prop = node.props[index]
        _push(prop.as_later if wrote else prop.as_first, ((node, (index + 1, True)), parent), out)
        if not prop.required:
            _settle(((node, (index + 1, wrote)), parent), out)
    else:
        raise TypeError(f"not a grammar node: {node!r}")


def _advance(stack: Any, ch: str, out: set) -> None:
    """Add the states `stack` is in after consuming `ch` (none when `ch` does not fit)."""
    (node, data), parent = stack
    kind = type(node)
    if kind is Lit:
        if node.text[data] == ch:
            _settle(parent if data + 1 == len(node.text) else ((node, data + 1), parent), out)
    elif kind is Num:
        state, digits = data
        after = _number_step(state, ch, node.integer)
        if after is not None and (after != state or digits < MAX_DIGITS[state]):
            _settle(((node, (after, digits + 1 if after == state else 1)), parent), out)
    elif kind is Str:
        state = _string_step(node, data, ch)
        if state == "end":
            _settle(parent, out)
        elif state is not None:
            out.add(((node, state), parent))


def _string_step(node: Str, data: tuple[int, int], ch: str) -> Any:
    """Phases: 0 before the opening quote, 1 inside, 2 after a backslash, 3-6 reading \\uXXXX."""
    phase, length = data
    room = node.max_len is None or length < node.max_len
    if phase == 0:
        return (1, 0) if ch == '"' else None
    if phase == 1:
        if ch == '"':
            return "end" if length >= node.min_len else None
        if not room or ch < " ":
            return None
        return (2, length) if ch == "\\" else (1, length + 1)
    if phase == 2:
        return (3, length) if ch == "u" else (1, length + 1) if ch in _ESCAPES else None
    if ch not in _HEX:
        return None
    return (1, length + 1) if phase == 6 else (phase + 1, length)


class Matcher:
    """The states of one grammar, stepped by characters and memoised (`matcher_for` shares one
    between the requests of the same grammar)."""

    def __init__(self, root: Any):
        self.root = root
        self._steps: dict[tuple[States, str], States] = {}
        self.memo: dict[Any, dict] = {}
        """Per-state results callers keep and bound, one dict per caller (`TokenIndex`'s masks:
        the same grammar may be served to models with different vocabularies)."""

    def start(self) -> States:
        out: set = set()
        _push(self.root, None, out)
        return frozenset(out)

    def step(self, states: States, ch: str) -> States:
        key = (states, ch)
        found = self._steps.get(key)
        if found is None:
            if len(self._steps) >= CACHE_LIMIT:
                self._steps.clear()
            out: set = set()
            for stack in states:
                if stack is not None:
                    _advance(stack, ch, out)
            found = self._steps[key] = frozenset(out)
        return found

    def feed(self, states: States, text: str) -> States:
        for ch in text:
            if not states:
                break
            states = self.step(states, ch)
        return states

    @staticmethod
    def can_end(states: States) -> bool:
        return None in states

    def matches(self, text: str) -> bool:
        """Whether `text` is a whole answer of the grammar."""
        return self.can_end(self.feed(self.start(), text))


@functools.lru_cache(maxsize=16)
def matcher_for(grammar: Any) -> Matcher:
    """The matcher of `grammar` (nodes hash by identity): requests that send the same compiled
    grammar share its memo, so a pipeline's thousand calls walk the vocabulary once per state."""
    return Matcher(grammar)
