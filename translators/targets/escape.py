"""Escaping for every string that came from the design or the model, one function per context."""

from __future__ import annotations

import html
import json
import re

_IDENT = re.compile(r"^[a-z][a-z0-9_]*(-[0-9]+)?$")


def html_text(value: str) -> str:
    """Element content: &, <, > (and quotes, harmlessly) become entities."""
    return html.escape(value, quote=True)


def html_attr(value: str) -> str:
    """A double-quoted attribute value."""
    return html.escape(value, quote=True)


def js_string(value: str) -> str:
    """A JS/TS double-quoted string literal. ASCII-only output: every non-ASCII character,
    U+2028/2029 included, is a \\u escape; < and > too, so `</script>` cannot appear."""
    return json.dumps(value, ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e")


def divkit_text(value: str) -> str:
    """DivKit evaluates `@{...}` in any string that holds `@{` or a backslash; escape both
    (same rule as the builder's `escapeExpression`)."""
    return value.replace("\\", "\\\\").replace("@{", "\\@{")


def divkit_unescape(value: str) -> str:
    """What a DivKit client displays for an escaped string (inverse of `divkit_text`)."""
    if "@{" not in value and "\\" not in value:
        return value
    out, i = [], 0
    while i < len(value):
        if value.startswith("\\@{", i):
            out.append("@{")
            i += 3
        elif value.startswith("\\\\", i):
            out.append("\\")
            i += 2
        elif value.startswith("@{", i) or value[i] == "\\":
            raise ValueError(f"unescaped expression syntax at {i} in {value!r}")
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def ident(value: str) -> str:
    """An id used in class names, data attributes and object keys; the schema already limits
    ids to [a-z][a-z0-9_]*, this refuses anything else rather than escape it."""
    if not _IDENT.match(value):
        raise ValueError(f"not a safe identifier: {value!r}")
    return value


def pascal(value: str) -> str:
    """'login_screen' -> 'LoginScreen' (a valid JS identifier for [a-z][a-z0-9_]* input)."""
    return "".join(part[:1].upper() + part[1:] for part in ident(value).split("_") if part)
