"""A JSONL dataset is read as a run goes (issue #21): checked whole before anything is spent,
then read again from the file, never held whole in memory."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

import pipelines
from pipelines import RunOptions
from pipelines.errors import DatasetError, InputError
from pipelines.recipe.datasets import load_items, stream_items
from pipelines.recipe import jsonl
from pipelines.recipe.jsonl import JsonlItems, count_unique
from pipelines.storage import RunStore
from tests.pipelines.fake_llm import FakeLLM

RECIPES = Path(__file__).parents[1] / "recipes"


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_jsonl_file_streams_with_the_rows_load_items_gives(tmp_path):
    rows = [{"question": f"q{i}", "answer": str(i)} for i in range(4)] + [{"id": 7, "question": "x",
                                                                          "answer": "y"}]
    _write(tmp_path / "d.jsonl", rows)
    items = stream_items({"source": "d.jsonl"}, tmp_path)
    assert isinstance(items, JsonlItems) and len(items) == 5
    assert list(items) == list(items) == load_items({"source": "d.jsonl"}, tmp_path)
    assert [i["id"] for i in items] == ["1", "2", "3", "4", "7"]
    # `source: jsonl` with `path:` streams too; a sampled subset is loaded as before
    assert isinstance(stream_items({"source": "jsonl", "path": "d.jsonl"}, tmp_path), JsonlItems)
    subset = stream_items({"source": "d.jsonl", "options": {"size": 2}}, tmp_path)
    assert subset == load_items({"source": "d.jsonl", "options": {"size": 2}}, tmp_path)


def test_bad_lines_and_duplicate_ids_are_refused_when_opened(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"question": "a", "answer": "1"}\n\n{"question": "b"\n')
    with pytest.raises(InputError, match=r"d.jsonl:3: invalid JSON"):
        stream_items({"source": "d.jsonl"}, tmp_path)
    _write(path, [{"id": "x", "question": "a", "answer": "1"}, {"id": "x", "question": "b",
                                                                 "answer": "2"}])
    with pytest.raises(InputError, match="duplicate item id 'x'"):
        stream_items({"source": "d.jsonl"}, tmp_path)
    with pytest.raises(InputError, match="dataset file not found"):
        stream_items({"source": "missing.jsonl"}, tmp_path)


def test_a_run_over_a_jsonl_file_stores_and_scores_every_item(tmp_path):
    rows = [{"id": f"p{i}", "question": f"{i}+0", "answer": "1"} for i in range(6)]
    data = _write(tmp_path / "d.jsonl", rows)
    fake = FakeLLM(reply=lambda body: "1")  # the vote extracts nothing: "1" is the answer
    result = pipelines.run(RECIPES / "rsa.yaml", {"N": 2, "K": 1, "T": 2},
                           RunOptions(endpoint="http://fake.test/v1", store=tmp_path / "s",
                                      dataset={"source": str(data)},
                                      transport=httpx.ASGITransport(app=fake.app)))
    assert result.exit_code == 0 and len(fake.requests) == 6 * 4
    assert sorted(i["item_id"] for i in result.items) == [f"p{i}" for i in range(6)]
    assert all(i["gold"] == "1" and i["correct"] == 1 for i in result.items)
    assert (result.accuracy.correct, result.accuracy.total) == (6, 6)


def test_ids_whose_hash_slots_clash_are_told_apart_by_reading_them_again(tmp_path):
    rows = [{"id": f"r{i}", "question": "q", "answer": "1"} for i in range(5)]
    path = _write(tmp_path / "d.jsonl", rows)
    assert count_unique(path, bits=1) == 5  # every slot clashes; no id repeats: no error
    _write(path, rows + [rows[3]])
    with pytest.raises(InputError, match="duplicate item id 'r3'"):
        count_unique(path, bits=1)
    with pytest.raises(InputError, match="duplicate item id 'r3'"):
        count_unique(path)


# -- a large file: the run starts at once, the file is checked beside it ------------------------

def _rows(n: int) -> list[dict]:
    return [{"id": f"p{i}", "question": f"{i}+0", "answer": "1"} for i in range(n)]


def _run(data: Path, store: Path, fake: FakeLLM, resume: str | None = None):
    return pipelines.run(None if resume else RECIPES / "rsa.yaml", {"N": 2, "K": 1, "T": 2},
                         RunOptions(endpoint="http://fake.test/v1", store=store, resume=resume,
                                    dataset=None if resume else {"source": str(data)},
                                    transport=httpx.ASGITransport(app=fake.app)))


@pytest.fixture
def every_file_large(monkeypatch):
    monkeypatch.setattr(jsonl, "INLINE_CHECK_BYTES", 0)


def test_a_large_file_is_counted_without_parsing_and_checked_in_a_child_process(
        tmp_path, every_file_large):
    path = _write(tmp_path / "d.jsonl", _rows(30))
    items = JsonlItems(path)
    assert len(items) == 30 and items._check is not None
    asyncio.run(items.checked())  # a good file: no error
    with open(path, "a") as f:
        f.write('\n{"question": "q"}\n')
    items = JsonlItems(path)  # not parsed here: a bad row does not stop the start
    assert len(items) == 31
    with pytest.raises(DatasetError, match=r"d.jsonl:32: row has no answer"):
        asyncio.run(items.checked())
    items.close()


def test_a_bad_line_in_a_large_file_stops_the_run_resumable_and_nothing_is_repeated(
        tmp_path, every_file_large):
    rows = _rows(300)  # more than the run's window of items in flight: some finish before
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" if i != 289 else '{"question": "x",\n'
                            for i, r in enumerate(rows)))
    fake, store = FakeLLM(reply=lambda body: "1"), tmp_path / "s"
    with pytest.raises(DatasetError, match=r"(?s)d.jsonl:290: invalid JSON.*pipe run --resume"):
        _run(data, store, fake)
    [run] = pipelines.runs(store=store)
    assert run["status"] == "interrupted"
    done = RunStore(store).db.execute("SELECT COUNT(*) FROM calls WHERE status='ok'").fetchone()[0]
    assert done > 0
    _write(data, rows)  # fixed
    fake.requests.clear()
    result = _run(data, store, fake, resume=run["run_id"])
    assert result.exit_code == 0 and len(result.items) == 300
    assert len(fake.requests) == 300 * 4 - done  # completed calls are not made again


def test_a_repeated_id_in_a_large_file_stops_the_run(tmp_path, every_file_large):
    rows = _rows(40)
    rows[35]["id"] = "p3"
    data = _write(tmp_path / "d.jsonl", rows)
    with pytest.raises(DatasetError, match=r"duplicate item id 'p3'.*\n.*pipe run --resume"):
        _run(data, tmp_path / "s", FakeLLM(reply=lambda body: "1"))
    [run] = pipelines.runs(store=tmp_path / "s")
    assert run["status"] == "interrupted"
