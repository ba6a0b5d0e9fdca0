"""A dataset source that generates its items (returns an iterator: `arith`, `reasoning_gym`)
is made as the run reads it, not materialised (issue #21): options are checked when it is
opened, every pass calls the source again, and a million-item source opens at once."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from moe.data import arith_items
from pipelines.errors import InputError
from pipelines.plugins import DATASETS
from pipelines.recipe.datasets import GeneratedItems, load_items, register_source, stream_items

CALLS: list[int] = []


def counting(size: int = 4, start: int = 0):
    """A generating source: validates when called, makes items when read."""
    if start < 0:
        raise InputError("start must be >= 0")
    CALLS.append(size)
    return ({"question": f"q{start + j}", "answer": str(j)} for j in range(size))


@pytest.fixture
def source():
    register_source("counting_test", counting)
    CALLS.clear()
    yield "counting_test"
    DATASETS._table().pop("counting_test", None)


def test_a_generating_source_is_read_lazily_and_again_on_every_pass(source):
    items = stream_items({"source": source, "size": 3, "start": 5}, Path("."))
    assert isinstance(items, GeneratedItems) and len(items) == 3 and CALLS == [3]
    first = list(items)
    assert [i["id"] for i in first] == ["0", "1", "2"] and first[0]["question"] == "q5"
    assert list(items) == first and CALLS == [3, 3]  # the second pass called it again
    assert len(stream_items({"source": source}, Path("."))) == 4  # its default size
    assert load_items({"source": source, "size": 2, "start": 5}, Path(".")) == first[:2]
    with pytest.raises(InputError, match="start must be >= 0"):
        stream_items({"source": source, "start": -1}, Path("."))


def test_the_arith_source_opens_a_million_items_without_making_them():
    items = stream_items({"source": "arith", "size": 1_000_000, "seed": 11}, Path("."))
    assert isinstance(items, GeneratedItems) and len(items) == 1_000_000
    assert list(itertools.islice(items, 3)) == arith_items(3, seed=11)
