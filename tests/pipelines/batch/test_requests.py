"""Batch input validation: line numbers, strict mode, duplicate custom_ids, unsupported urls."""

from __future__ import annotations

import json

import pytest

from pipelines.batch import jobs
from pipelines.batch.jobstore import JobStore
from pipelines.batch.requests import parse_batch_file
from pipelines import RunOptions
from pipelines.errors import InputError
from tests.pipelines.batch.conftest import read_jsonl, request_line, transport_for

BAD_LINES = {
    "{not json": "not valid JSON",
    "[1, 2]": "expected a JSON object",
    json.dumps({"method": "POST", "url": "/v1/chat/completions", "body": {}}): "custom_id must be",
    request_line("get", ).replace('"POST"', '"GET"'): 'method must be "POST"',
    request_line("emb").replace("/v1/chat/completions", "/v1/embeddings"):
        "url '/v1/embeddings' is not supported",
    json.dumps({"custom_id": "nomodel", "url": "/v1/chat/completions",
                "body": {"messages": [{"role": "user", "content": "x"}]}}): "body.model is missing",
    request_line("nomsg", messages=[]): "body.messages must be a non-empty list",
    request_line("role", messages=[{"role": "wizard", "content": "x"}]): "needs a role",
    request_line("n2", n=2): "body.n is 2",
    request_line("stream", stream=True): "body.stream is not supported",
    request_line("mt", max_tokens=0): "body.max_tokens must be a positive integer",
    json.dumps({"custom_id": "extra", "url": "/v1/chat/completions", "body": {}, "x": 1}):
        "unknown key(s) ['x']",
}


def test_every_bad_line_is_reported_with_its_line_number(tmp_path):
    good = [request_line("ok-1"), request_line("ok-2")]
    lines = [good[0], "", *BAD_LINES, good[1]]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n")
    parsed = parse_batch_file(path)
    assert [(r.custom_id, r.line) for r in parsed.requests] == [("ok-1", 1), ("ok-2", len(lines))]
    assert len(parsed.rejected) == len(BAD_LINES)
    for rejected, (line, expected) in zip(parsed.rejected, zip(range(3, 3 + len(BAD_LINES)),
                                                               BAD_LINES.values())):
        assert rejected.line == line
        assert expected in rejected.message, (rejected, expected)
    # a bad line whose custom_id is readable keeps it for the error file
    assert {r.custom_id for r in parsed.rejected} >= {"emb", "n2", "stream"}


def test_strict_refuses_the_whole_file_before_anything_is_sent(tmp_path, fake):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([request_line("a"), "{oops", request_line("b"),
                               request_line("c").replace("/v1/chat/completions", "/v1/audio")]))
    with pytest.raises(InputError) as err:
        jobs.submit(path,
                    options=RunOptions(transport=transport_for(fake), store=tmp_path / "s",
                                       endpoint="http://fake/v1"), strict=True, api="concurrent")
    text = str(err.value)
    assert "2 bad line(s)" in text and f"{path}:2: not valid JSON" in text
    assert f"{path}:4: url '/v1/audio' is not supported" in text
    assert "(custom_id 'c')" in text and "drop --strict" in text
    assert fake.requests == []
    assert JobStore(tmp_path / "s").jobs() == []


def test_default_mode_skips_bad_lines_into_the_error_file(tmp_path, fake, sheet):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([request_line("a"), "{oops", request_line("b", n=3)]) + "\n")
    store = tmp_path / "s"
    done = jobs.submit(path,
                       options=RunOptions(transport=transport_for(fake), store=store,
                                          endpoint="http://fake/v1"), api="concurrent", pricing=str(sheet))
    assert done.outcome.state == "completed" and done.outcome.exit_code == 0
    assert len(fake.requests) == 1
    written = jobs.results(done.job_id, tmp_path / "out.jsonl", store=store)
    assert [o["custom_id"] for o in read_jsonl(tmp_path / "out.jsonl")] == ["a"]
    errors = read_jsonl(tmp_path / "out.errors.jsonl")
    assert written["error_lines"] == 2
    assert [(e["custom_id"], e["error"]["code"]) for e in errors] == [
        (None, "invalid_request"), ("b", "invalid_request")]
    assert errors[0]["error"]["message"].startswith("input line 2:")
    assert "line 3" in errors[1]["error"]["message"] and "body.n is 3" in errors[1]["error"]["message"]


def test_duplicate_custom_ids_are_refused_before_any_spend(tmp_path, fake):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([request_line("a"), request_line("b"), request_line("a"),
                               request_line("b", stream=True)]))
    with pytest.raises(InputError) as err:
        jobs.submit(path,
                    options=RunOptions(transport=transport_for(fake), store=tmp_path / "s",
                                       endpoint="http://fake/v1"), api="concurrent")
    text = str(err.value)
    assert "custom_id 'a' on lines 1, 3" in text and "custom_id 'b' on lines 2, 4" in text
    assert err.value.exit_code == 2
    assert fake.requests == [] and JobStore(tmp_path / "s").jobs() == []


def test_empty_and_missing_files_are_input_errors(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(InputError, match="no request can be sent .it is empty"):
        parse_batch_file(empty)
    with pytest.raises(InputError, match="not found"):
        parse_batch_file(tmp_path / "nope.jsonl")
    only_bad = tmp_path / "bad.jsonl"
    only_bad.write_text("{x\n")
    with pytest.raises(InputError, match="first problem: line 1"):
        parse_batch_file(only_bad)


def test_a_line_separator_inside_a_json_string_does_not_split_the_line(tmp_path):
    path = tmp_path / "in.jsonl"
    line = request_line("u", messages=[{"role": "user", "content": "a\u2028b"}])
    path.write_text(line.replace("\\u2028", "\u2028") + "\n" + request_line("v") + "\n",
                    encoding="utf-8")
    parsed = parse_batch_file(path)
    assert [r.custom_id for r in parsed.requests] == ["u", "v"] and not parsed.rejected
    assert parsed.requests[0].body["messages"][0]["content"] == "a\u2028b"


def test_a_line_that_is_not_utf8_is_named_by_its_line(tmp_path):
    path = tmp_path / "in.jsonl"
    latin1 = request_line("cafe").encode().replace(b"cafe", b"caf\xe9")
    path.write_bytes(request_line("ok").encode() + b"\n" + latin1 + b"\n")
    with pytest.raises(InputError, match=rf"{path}:2: not UTF-8 text .*fix: save it as UTF-8"):
        parse_batch_file(path)
