"""When two answers are the same answer.

Every equivalence has the engine's registry signature `(a: str, b: str) -> bool` and is registered
as a `pipe.equivalences` entry point (`normalized`, `math`; see `pipelines.plugins`); when one
side is a gold answer it comes first (math-verify is not symmetric). `math_equal` runs math-verify
in a child process with a deadline, so it works from any thread and a runaway sympy call costs one
worker restart, never a hung run.
"""

from __future__ import annotations

import json
import logging
import math
import re
import select
import subprocess
import sys
import threading
from functools import lru_cache
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

MATH_TIMEOUT_S: Final = 10.0
"""Deadline for one math-verify comparison (parse both sides, then verify)."""
_WORKER_START_TIMEOUT_S: Final = 120.0  # importing sympy on a loaded 2-core machine
_WORKER_SCRIPT: Final = Path(__file__).with_name("_mathverify_worker.py")

_TEXT_WRAPPER = re.compile(r"^\\(?:text|textbf|mathrm|mathbf)\{(.*)\}$", re.DOTALL)
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def normalize(answer: str) -> str:
    """Canonical text of a short answer: no math delimiters, text wrappers, trailing period,
    case or repeated whitespace."""
    text = answer.strip()
    previous = None
    while text != previous:
        previous = text
        text = text.strip().rstrip(".").strip()
        if len(text) >= 2 and text[0] == text[-1] == "$":
            text = text[1:-1]
        wrapped = _TEXT_WRAPPER.match(text)
        if wrapped:
            text = wrapped.group(1)
    return " ".join(text.split()).casefold()


def normalized_equal(a: str, b: str) -> bool:
    """Same text after `normalize`, or the same number (`4.0` == `4`)."""
    left, right = normalize(a), normalize(b)
    if left == right:
        return True
    if _NUMBER.match(left) and _NUMBER.match(right):
        x, y = float(left), float(right)
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
    return False


class MathVerifier:
    """One math-verify child process, shared by all threads of this process."""

    def __init__(self, timeout_s: float = MATH_TIMEOUT_S):
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None

    def equivalent(self, gold: str, pred: str) -> bool:
        """math-verify's `verify(parse(gold), parse(pred))`; False when it overruns."""
        with self._lock:
            proc = self._running()
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps([gold, pred]) + "\n")
            proc.stdin.flush()
            reply = self._read_line(proc, self.timeout_s)
            if reply is None:
                log.warning("math-verify took over %.0fs on %r vs %r; counted as not equal",
                            self.timeout_s, gold[:80], pred[:80])
                self._stop()
                return False
            return reply == "1"

    def close(self) -> None:
        """Stop the child process (the next comparison starts a new one)."""
        with self._lock:
            self._stop()

    def _running(self) -> subprocess.Popen[str]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._proc = subprocess.Popen(
            [sys.executable, "-u", str(_WORKER_SCRIPT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        if self._read_line(self._proc, _WORKER_START_TIMEOUT_S) != "ready":
            self._stop()
            raise RuntimeError(f"math-verify worker did not start ({sys.executable} {_WORKER_SCRIPT})")
        return self._proc

    @staticmethod
    def _read_line(proc: subprocess.Popen[str], timeout_s: float) -> str | None:
        assert proc.stdout is not None
        readable, _, _ = select.select([proc.stdout], [], [], timeout_s)
        if not readable:
            return None
        line = proc.stdout.readline()
        return line.strip() if line else None

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None


_verifier = MathVerifier()


@lru_cache(maxsize=65536)
def math_equal(gold: str, pred: str) -> bool:
    """Mathematically equal per math-verify (gold first); equal normalised text short-circuits."""
    if normalized_equal(gold, pred):
        return True
    return _verifier.equivalent(gold, pred)
