import json

import pytest

from evals.datasets import jsonl_items, reasoning_gym_items
from pipelines.errors import InputError


def test_reasoning_gym_items_are_generated_locally_and_repeatably():
    first = reasoning_gym_items("chain_sum", size=4, seed=3)
    assert first == reasoning_gym_items("chain_sum", size=4, seed=3)
    assert [i["id"] for i in first] == [f"chain_sum-{n}" for n in range(4)]
    assert all(i["question"] and i["answer_format"] == "answer_tag" for i in first)
    assert first != reasoning_gym_items("chain_sum", size=4, seed=4)
    json.dumps(first)  # must be storable as JSON


def test_reasoning_gym_task_config_passes_through():
    items = reasoning_gym_items("chain_sum", size=2, seed=1, min_terms=2, max_terms=2)
    assert items[0]["reasoning_gym"]["config"] == {"min_terms": 2, "max_terms": 2}


def test_unknown_task_lists_valid_names_and_suggests_close_ones():
    with pytest.raises(InputError) as err:
        reasoning_gym_items("chain_summ", size=2, seed=1)
    message = str(err.value)
    assert "unknown reasoning-gym task 'chain_summ'" in message
    assert "did you mean chain_sum" in message
    assert "rush_hour" in message and "basic_arithmetic" in message


def test_bad_task_options_and_sizes_are_input_errors():
    with pytest.raises(InputError, match="rejected options"):
        reasoning_gym_items("chain_sum", size=2, seed=1, no_such_field=3)
    with pytest.raises(InputError, match="size must be an integer >= 1"):
        reasoning_gym_items("chain_sum", size=0, seed=1)


def _write(tmp_path, lines):
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_jsonl_items(tmp_path):
    path = _write(tmp_path, ['{"question": "1+1?", "answer": 2}', "",
                             '{"id": "x", "question": "2+2?", "answer": "4", "topic": "add"}'])
    items = jsonl_items(path)
    assert [(i["id"], i["answer"]) for i in items] == [("qa-1", "2"), ("x", "4")]
    assert items[1]["topic"] == "add" and items[1]["answer_format"] == "boxed"
    assert jsonl_items(path, size=1) == items[:1]


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [('{"question": "q"}', r"qa.jsonl:2: missing answer"),
     ('{"answer": "a"}', r"qa.jsonl:2: missing question"),
     ('{"question": "", "answer": null}', r"qa.jsonl:2: missing question and answer"),
     ("not json", r"qa.jsonl:2: not valid JSON"),
     ('["q", "a"]', r"qa.jsonl:2: expected a JSON object")],
)
def test_jsonl_bad_line_names_file_and_line(tmp_path, bad_line, expected):
    path = _write(tmp_path, ['{"question": "q", "answer": "a"}', bad_line])
    with pytest.raises(InputError, match=expected):
        jsonl_items(path)


def test_jsonl_missing_file_and_bad_options(tmp_path):
    with pytest.raises(InputError, match="cannot read dataset"):
        jsonl_items(tmp_path / "nope.jsonl")
    path = _write(tmp_path, ['{"question": "q", "answer": "a"}'])
    with pytest.raises(InputError, match="unknown equivalence 'fuzzy'"):
        jsonl_items(path, equivalence="fuzzy")
