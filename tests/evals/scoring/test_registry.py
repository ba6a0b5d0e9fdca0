"""The engine finds what `evals` registers (entry points): extractors and equivalences by name in
`pipelines.answers`, the `score` node kind and the `steps` section of `pipe show`."""

from evals.scoring.node import ScoreNode
from evals.steps import step_metrics
from pipelines.answers import EQUIVALENCES, EXTRACTORS, equivalence, extractor
from pipelines.plugins import NODE_KINDS, SHOW_SECTIONS


def test_every_registered_name_resolves_to_a_working_function():
    assert {"boxed", "answer_tag", "none"} <= set(EXTRACTORS)
    assert {"exact", "normalized", "math"} <= set(EQUIVALENCES)
    assert extractor("boxed")(r"so \boxed{\frac{1}{2}}") == r"\frac{1}{2}"
    assert extractor("answer_tag")("<answer> B </answer>") == "B"
    assert equivalence("normalized")("Yes.", "yes")
    assert equivalence("math")("1/2", "0.5") and not equivalence("math")("1/2", "0.25")


def test_evals_plugs_its_node_kind_and_show_section_into_the_engine():
    assert "score" in NODE_KINDS and NODE_KINDS.get("score") is ScoreNode
    assert "steps" in SHOW_SECTIONS and SHOW_SECTIONS.get("steps") is step_metrics
