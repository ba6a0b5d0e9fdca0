"""Answer extraction, equivalence and scoring (see each module's docstring).

Extractors and equivalences are looked up by name through `pipelines.answers`, the registry the
engine's `vote` node uses, so a recipe and an eval judge answers the same way.
"""

from evals.scoring.equivalence import math_equal, normalized_equal
from evals.scoring.extract import NO_ANSWER, extract_answer_tag, extract_boxed
from evals.scoring.score import is_correct, score_answer, score_population

__all__ = [
    "NO_ANSWER", "extract_answer_tag", "extract_boxed", "is_correct", "math_equal",
    "normalized_equal", "score_answer", "score_population",
]
