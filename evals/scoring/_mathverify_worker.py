"""Child process that runs math-verify; one JSON request per stdin line, one reply per line.

Runs as a plain script (`python _mathverify_worker.py`) so that starting it neither re-imports
the caller's `__main__` nor forks a process that has threads. The parent kills it when a
comparison overruns its deadline, which is the only reliable way to stop a runaway sympy call.
"""

from __future__ import annotations

import json
import logging
import sys


def _parse(text: str) -> list:
    """math-verify's parse of a bare answer (tried as `\\boxed{...}` first)."""
    from math_verify import parse  # heavy (sympy); main() imports it after redirecting stdout

    # A bare answer such as `\frac12` or `b` only parses inside a math environment; a plain
    # expression such as `1/2` parses either way, so try the boxed form first.
    parsed = parse("\\boxed{" + text + "}", parsing_timeout=None)
    return parsed or parse(text, parsing_timeout=None)


def equivalent(gold: str, pred: str) -> bool:
    """math-verify's `verify(parse(gold), parse(pred))`."""
    from math_verify import verify  # heavy (sympy); main() imports it after redirecting stdout

    gold_parsed, pred_parsed = _parse(gold), _parse(pred)
    if not gold_parsed or not pred_parsed:
        return False
    return bool(verify(gold_parsed, pred_parsed, timeout_seconds=None))


def main() -> None:
    """Serve comparisons: one JSON `[gold, pred]` per stdin line, `1` or `0` per stdout line."""
    logging.disable(logging.WARNING)  # math-verify warns that its own timeouts are off: we know
    replies, sys.stdout = sys.stdout, sys.stderr  # a stray print must not corrupt the protocol
    import math_verify  # noqa: F401  (import before saying ready: it takes a second)

    replies.write("ready\n")
    replies.flush()
    for line in sys.stdin:
        gold, pred = json.loads(line)
        try:
            reply = "1" if equivalent(gold, pred) else "0"
        except Exception:  # a parser crash on odd model output means "not equivalent"
            reply = "0"
        replies.write(reply + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
