"""Answer extraction, equivalence and scoring (see each module's docstring).

Extractors and equivalences are registered by name (`pipe.extractors`, `pipe.equivalences` entry
points) and looked up through `pipelines.answers`, as the engine's `vote` node does, so a recipe
and an eval judge answers the same way. `node.py` is the `score` node kind (`pipe.node_kinds`).
"""

from evals.scoring.equivalence import math_equal, normalized_equal
from evals.scoring.extract import NO_ANSWER, extract_answer_tag, extract_boxed
from evals.scoring.score import is_correct, score_answer, score_population

__all__ = [
    "NO_ANSWER", "extract_answer_tag", "extract_boxed", "is_correct", "math_equal",
    "normalized_equal", "score_answer", "score_population",
]
