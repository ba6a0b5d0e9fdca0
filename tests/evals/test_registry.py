"""The engine's vote node finds extraction and equivalence by name in `pipelines.answers`."""

from pipelines.answers import EQUIVALENCES, EXTRACTORS, equivalence, extractor


def test_every_registered_name_resolves_to_a_working_function():
    assert {"boxed", "answer_tag", "none"} <= set(EXTRACTORS)
    assert {"exact", "normalized", "math"} <= set(EQUIVALENCES)
    assert extractor("boxed")(r"so \boxed{\frac{1}{2}}") == r"\frac{1}{2}"
    assert extractor("answer_tag")("<answer> B </answer>") == "B"
    assert equivalence("normalized")("Yes.", "yes")
    assert equivalence("math")("1/2", "0.5") and not equivalence("math")("1/2", "0.25")
