import json

import pytest

from evals.datasets import reasoning_gym_items
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


def test_reasoning_gym_needs_a_task():
    with pytest.raises(InputError, match="needs `task:`; valid tasks: ab, acre"):
        reasoning_gym_items(size=2)
