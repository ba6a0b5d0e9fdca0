"""`evals.scoring.score`: answers and whole populations against the gold answer."""

from evals.scoring import score_answer, score_population

ITEM = {"id": "q1", "question": "1/4 + 1/4?", "answer": "1/2"}


def test_math_item_defaults_to_boxed_answers_and_math_equivalence():
    texts = [r"\boxed{\frac{1}{2}}", r"\boxed{0.5}", r"\boxed{3}", "I give up", r"\boxed{1/3}"]
    metrics = score_population(ITEM, texts)
    assert metrics["answers"] == [r"\frac{1}{2}", "0.5", "3", None, "1/3"]
    assert metrics["correct"] == [True, True, False, False, False]
    assert metrics["mean_acc"] == 0.4
    assert metrics["majority_acc"] == 1.0  # \frac{1}{2} and 0.5 cluster together
    assert metrics["majority_answer"] == r"\frac{1}{2}"
    assert metrics["pass_at_n"] == 1.0
    assert metrics["no_answer"] == 1


def test_wrong_majority_and_no_correct_member():
    metrics = score_population(ITEM, [r"\boxed{2}", r"\boxed{2}", r"\boxed{3}"])
    assert (metrics["mean_acc"], metrics["majority_acc"], metrics["pass_at_n"]) == (0.0, 0.0, 0.0)


def test_population_without_any_answer_scores_zero_everywhere():
    metrics = score_population(ITEM, ["", "none", "\\boxed{"])
    assert metrics["majority_answer"] is None
    assert (metrics["mean_acc"], metrics["majority_acc"], metrics["pass_at_n"]) == (0.0, 0.0, 0.0)


def test_item_settings_choose_extractor_and_equivalence():
    item = {"id": "w", "question": "colour?", "answer": "Blue", "answer_format": "answer_tag",
            "equivalence": "normalized"}
    metrics = score_population(item, ["<answer>blue</answer>", r"\boxed{Blue}"])
    assert metrics["correct"] == [True, False]
    assert score_answer({**item, "equivalence": "exact"}, "blue") == 0.0


def test_explicit_extractor_and_equivalence_override_the_items():
    metrics = score_population(ITEM, ["<answer>0.5</answer>", r"\boxed{0.5}"],
                               extract_as="answer_tag", equivalence_as="exact")
    assert metrics["answers"] == ["0.5", None] and metrics["correct"] == [False, False]
    assert score_population(ITEM, ["<answer>1/2</answer>"], extract_as="answer_tag",
                            equivalence_as="exact")["correct"] == [True]


def test_vote_tie_between_math_clusters_goes_to_the_earliest():
    first_right = [r"\boxed{1/2}", r"\boxed{3}", r"\boxed{0.5}", r"\boxed{3}", "", ""]
    assert score_population(ITEM, first_right)["majority_acc"] == 1.0
    first_wrong = [r"\boxed{3}", r"\boxed{1/2}", r"\boxed{3}", r"\boxed{\frac{1}{2}}"]
    metrics = score_population(ITEM, first_wrong)
    assert metrics["majority_answer"] == "3" and metrics["majority_acc"] == 0.0
