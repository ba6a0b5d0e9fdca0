"""Pull the final answer out of a model's text.

Every extractor has the engine's registry signature `(text: str) -> str | None` and is registered
as a `pipe.extractors` entry point (`boxed`, `answer_tag`; see `pipelines.plugins`). `None` (exported as `NO_ANSWER`) is the
one "no answer" outcome: it never wins a vote and always scores as wrong. Extractors never raise
on model output, however malformed.
"""

from __future__ import annotations

import re
from typing import Final

NO_ANSWER: Final = None
"""What an extractor returns when the text holds no usable answer (JSON `null` in the store)."""

# `\boxed` and its framed sibling; the paper's extraction treats both as the final answer.
_BOX_COMMAND = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
# `\boxed 5`, `\boxed -3.5`: without braces TeX takes one token; models write one word.
_UNBRACED = re.compile(r"[ \t]+([^\s${}]+)")


def _braced_group(text: str, open_at: int) -> str | None:
    """The content of the `{...}` group opening at `open_at`, or None if it never closes.

    Escaped braces (`\\{`, `\\}`) are content, not structure, so `\\boxed{\\{1,2\\}}` works.
    """
    depth = 0
    i = open_at
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[open_at + 1 : i]
        i += 1
    return None


def _box_content(text: str, command_end: int) -> str | None:
    rest_start = command_end
    while rest_start < len(text) and text[rest_start] in " \t":
        rest_start += 1
    if rest_start < len(text) and text[rest_start] == "{":
        return _braced_group(text, rest_start)
    unbraced = _UNBRACED.match(text, command_end)
    # "... is \boxed 5." : the sentence's full stop is not part of the answer
    return unbraced.group(1).rstrip(".,;:") if unbraced else None


def extract_boxed(text: str) -> str | None:
    """The content of the last `\\boxed{...}` (brace-matched), or `\\boxed X` without braces.

    Only the last box counts: models revise, and the last box is the final word. A last box that
    never closes (output cut by max_tokens) is no answer rather than a guess from an earlier box.
    """
    if not isinstance(text, str):
        return NO_ANSWER
    matches = list(_BOX_COMMAND.finditer(text))
    if not matches:
        return NO_ANSWER
    content = _box_content(text, matches[-1].end())
    return _non_empty(content)


def extract_answer_tag(text: str) -> str | None:
    """The first `<answer>...</answer>` (reasoning-gym's convention), stripped."""
    if not isinstance(text, str):
        return NO_ANSWER
    match = _ANSWER_TAG.search(text)
    return _non_empty(match.group(1)) if match else NO_ANSWER


def _non_empty(value: str | None) -> str | None:
    if value is None:
        return NO_ANSWER
    value = value.strip()
    return value or NO_ANSWER
