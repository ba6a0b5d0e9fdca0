"""`evals.scoring.extract`: the final answer out of a model's text (boxed, answer tags)."""

import pytest

from evals.scoring import NO_ANSWER, extract_answer_tag, extract_boxed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"so the answer is \boxed{42}.", "42"),
        (r"\boxed{\frac{1}{2}}", r"\frac{1}{2}"),
        (r"\boxed{\sqrt{\frac{a^{2}}{b}}} done", r"\sqrt{\frac{a^{2}}{b}}"),
        (r"first \boxed{3} then, correcting, \boxed{4}", "4"),
        (r"\boxed{\{1, 2\}}", r"\{1, 2\}"),
        (r"the answer is \boxed 5.", "5"),
        (r"\boxed -3.5 is it", "-3.5"),
        (r"\boxed  { 7 } ", "7"),
        (r"\fbox{9}", "9"),
        ("no box at all: 42", NO_ANSWER),
        (r"\boxed{12 and then the output was cut", NO_ANSWER),
        (r"\boxed{}", NO_ANSWER),
        (r"\boxed{  }", NO_ANSWER),
        (r"\boxedfoo{3}", NO_ANSWER),
        ("", NO_ANSWER),
    ],
)
def test_boxed_extraction(text, expected):
    assert extract_boxed(text) == expected


def test_unclosed_last_box_does_not_fall_back_to_an_earlier_box():
    assert extract_boxed(r"\boxed{1} but actually \boxed{2") is NO_ANSWER


def test_answer_tag_takes_the_first_tag_and_spans_lines():
    assert extract_answer_tag("think <answer>\nA\nB\n</answer> <answer>C</answer>") == "A\nB"
    assert extract_answer_tag("<ANSWER>x</ANSWER>") == "x"


@pytest.mark.parametrize("text", ["no tags", "<answer>unterminated", "<answer> </answer>"])
def test_answer_tag_without_a_usable_tag_is_no_answer(text):
    assert extract_answer_tag(text) is NO_ANSWER


def test_extractors_never_raise_on_non_text():
    for extractor in (extract_boxed, extract_answer_tag):
        assert extractor(None) is NO_ANSWER  # type: ignore[arg-type]
