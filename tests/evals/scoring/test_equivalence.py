"""`evals.scoring.equivalence`: normalized text and math-verify equality (in a child process)."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from evals.scoring import math_equal, normalized_equal
from evals.scoring.equivalence import MathVerifier, normalize


@pytest.mark.parametrize(
    ("a", "b"),
    [("Yes", "yes"), ("$42$", "42"), ("4.0", "4"), (r"\text{B}", "b"), ("blue  car.", "Blue car"),
     ("1e3", "1000")],
)
def test_normalized_equal(a, b):
    assert normalized_equal(a, b)


@pytest.mark.parametrize(("a", "b"), [("42", "43"), ("1,2", "12"), ("cat", "cats"), ("0.1", "1")])
def test_normalized_different(a, b):
    assert not normalized_equal(a, b)


def test_normalize_unwraps_nested_wrappers():
    assert normalize(r" $\textbf{Answer}$. ") == "answer"


@pytest.mark.parametrize(
    ("gold", "pred", "same"),
    [("1/2", r"\frac{1}{2}", True), (r"\frac12", "0.5", True), ("B", "b", True),
     (r"\sqrt{2}", "1.41421356", True), ("3", "4", False), (r"\{1,2\}", r"\{2,1\}", True),
     ("x+1", "x-1", False)],
)
def test_math_equivalence(gold, pred, same):
    assert math_equal(gold, pred) is same


def test_math_equivalence_works_off_the_main_thread():
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda p: math_equal(*p), [("2/4", "0.5"), ("7", "8")]))
    assert results == [True, False]


def test_a_runaway_comparison_is_cut_at_the_deadline_and_the_worker_recovers():
    verifier = MathVerifier(timeout_s=1.0)
    try:
        verifier.equivalent("1", "1")  # start the worker outside the timed part
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=1) as pool:  # and off the main thread
            slow = pool.submit(verifier.equivalent, "(x+1)^{2000}", "x^{2000}+1").result()
        assert slow is False
        assert time.monotonic() - started < 5.0
        assert verifier.equivalent("2", "2.0") is True  # a fresh worker took over
    finally:
        verifier.close()
