"""Answer extraction, equivalence, votes and scoring (see each module's docstring)."""

from evals.scoring.equivalence import EQUIVALENCES, exact, math_equivalent, normalized
from evals.scoring.extract import (
    EXTRACTORS,
    NO_ANSWER,
    extract_answer_tag,
    extract_boxed,
    extract_whole,
)
from evals.scoring.score import is_correct, score_answer, score_population
from evals.scoring.vote import Cluster, cluster_answers, majority

__all__ = [
    "EQUIVALENCES", "EXTRACTORS", "NO_ANSWER", "Cluster", "cluster_answers", "exact",
    "extract_answer_tag", "extract_boxed", "extract_whole", "is_correct", "majority",
    "math_equivalent", "normalized", "score_answer", "score_population",
]
