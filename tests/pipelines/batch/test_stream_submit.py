"""A Batch JSONL file is checked and stored as a stream (issue #21): its requests are read from
the file on each pass, never held whole; repeated custom_ids are found through a bounded bit
set; a file that changes between the check and the insert leaves no job; results are written
a page at a time."""

from __future__ import annotations

import json

import pytest

from pipelines import RunOptions
from pipelines.batch import jobs, jobstore, requests
from pipelines.batch.jobstore import JobStore
from pipelines.batch.requests import FileRequests, parse_batch_file
from pipelines.errors import InputError
from pipelines.recipe.jsonl import KeyBits
from tests.pipelines.batch.conftest import read_jsonl, request_line, transport_for, write_input


def test_a_file_is_parsed_into_requests_read_again_from_the_file(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(request_line("a") + "\n\nnot json\n" + request_line("b") + "\n")
    parsed = parse_batch_file(path)
    assert isinstance(parsed.requests, FileRequests) and len(parsed.requests) == 2
    assert [(r.custom_id, r.line) for r in parsed.requests] == [("a", 1), ("b", 4)]
    assert [r.line for r in parsed.rejected] == [3]
    assert parsed.requests[-1].custom_id == "b"


def test_repeated_custom_ids_are_named_with_their_lines_even_when_every_slot_clashes(
        tmp_path, monkeypatch):
    monkeypatch.setattr(requests, "KeyBits", lambda size: KeyBits(size, bits=1))
    path = tmp_path / "in.jsonl"
    path.write_text("".join(request_line(c) + "\n" for c in ("a", "b", "c", "b", "a", "d")))
    with pytest.raises(InputError) as err:
        parse_batch_file(path)
    assert "2 custom_id(s) used more than once" in str(err.value)
    assert "custom_id 'a' on lines 1, 5" in str(err.value)
    assert "custom_id 'b' on lines 2, 4" in str(err.value)
    distinct = write_input(tmp_path / "ok.jsonl", 6)  # all slots clash, no id repeats: fine
    assert len(parse_batch_file(distinct).requests) == 6


def test_a_file_changed_after_its_check_stores_no_job(tmp_path, fake):
    source = write_input(tmp_path / "in.jsonl", 5)
    parsed = parse_batch_file(source)
    source.write_text(source.read_text().replace('"max_tokens": 16', '"max_tokens": -1'))
    store = JobStore(tmp_path / "store")
    with pytest.raises(InputError, match="changed while it was being submitted"):
        store.create_job(created_at="2025-03-01T00:00:00+00:00", source=str(source),
                         endpoint="e", endpoint_spec={}, api="concurrent", pricing=None,
                         max_cost=None, plan={}, requests=parsed.requests, rejected=[])
    assert store.jobs() == [] and store.db.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 0
    store.close()


def test_a_job_stores_streams_and_writes_its_results_a_page_at_a_time(tmp_path, fake,
                                                                      monkeypatch):
    monkeypatch.setattr(jobstore, "PAGE", 4)
    source = write_input(tmp_path / "in.jsonl", 11)
    options = RunOptions(store=tmp_path / "store", endpoint="http://fake.test/v1",
                         concurrency=4, transport=transport_for(fake))
    done = jobs.submit(source, options=options, api="concurrent", now=True)
    assert done.outcome.state == "completed"
    report = jobs.results(done.job_id, tmp_path / "out.jsonl", store=tmp_path / "store")
    assert report["output_lines"] == 11 and report["error_lines"] == 0
    assert [line["custom_id"] for line in read_jsonl(tmp_path / "out.jsonl")] == \
        [f"req-{i:05d}" for i in range(11)]
    rows = JobStore(tmp_path / "store").rows(done.job_id)
    assert [r["seq"] for r in rows] == list(range(11)) and all(r["state"] == "done" for r in rows)
    assert json.loads(source.read_text().splitlines()[3])["custom_id"] == rows[3]["custom_id"]
