"""`pipe serve --recipe`: the proxy over a real HTTP fake upstream, driven by the openai client."""

from __future__ import annotations

import json
import threading
import time

import httpx
import openai
import pytest

import pipelines
from pipelines.storage import RunStore
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.proxy.conftest import SUM, ask, sums


def calls_of(proxy, run_id: str):
    store = RunStore(proxy.store)
    try:
        return store.calls(run_id)
    finally:
        store.close()


def test_the_model_is_the_recipe_and_another_name_is_a_404(proxy):
    client = proxy.client()
    assert [m.id for m in client.models.list()] == ["rsa_test"]
    assert client.models.retrieve("rsa_test").id == "rsa_test"
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="gpt-4o", messages=ask("What is 1+2?"))
    assert err.value.body["code"] == "model_not_found" and err.value.body["param"] == "model"
    assert proxy.fake.requests == []


def test_the_answer_is_the_runs_vote_and_usage_sums_every_upstream_call(proxy):
    done = proxy.client().chat.completions.create(model="rsa_test", messages=ask("What is 20+22?"))
    assert done.choices[0].message.content == "\\boxed{42}"
    assert done.choices[0].finish_reason == "stop" and done.model == "rsa_test"
    pipe = done.model_extra["pipe"]
    report = pipelines.show(pipe["run_id"], proxy.store)
    assert report["run"]["status"] == "ok" and report["run"]["recipe_name"] == "rsa_test"
    assert [i["outputs"]["answer"] for i in report["items"]] == ["42"] == [pipe["answer"]]
    # N=3 solutions, then one aggregation step of N=3 calls: all sent upstream, all summed
    assert len(proxy.fake.requests) == 6 == pipe["calls"]
    rows = calls_of(proxy, pipe["run_id"])
    assert done.usage.prompt_tokens == sum(r.prompt_tokens for r in rows) > 0
    assert done.usage.completion_tokens == sum(r.completion_tokens for r in rows) > 0
    assert done.usage.total_tokens == done.usage.prompt_tokens + done.usage.completion_tokens
    assert pipe["usd"] == pytest.approx(report["total_usd"]) and pipe["usd"] > 0
    # the question is the last user message; the system message does not reach the recipe
    assert proxy.fake.requests[0]["messages"][-1]["content"] == "Solve: What is 20+22?"


def test_recipe_params_come_through_extra_body_typed_by_the_recipe(proxy):
    client = proxy.client()
    done = client.chat.completions.create(model="rsa_test", messages=ask("What is 2+2?"),
                                          temperature=0.25, max_tokens=32,
                                          extra_body={"N": 2, "T": 1})
    assert done.choices[0].message.content == "\\boxed{4}"
    assert len(proxy.fake.requests) == 2
    assert {(b["temperature"], b["max_tokens"]) for b in proxy.fake.requests} == {(0.25, 32)}
    for extra, param in (({"N": "many"}, "N"), ({"N": 2.5}, "N"), ({"depth": 3}, "depth"),
                         ({"pipe": {"max_cost": -1}}, "pipe.max_cost"), ({"n": 2}, "n")):
        with pytest.raises(openai.BadRequestError) as err:
            client.chat.completions.create(model="rsa_test", messages=ask("What is 2+3?"),
                                           extra_body=extra)
        assert err.value.body["param"] == param, err.value.body
    assert "extra_body" in str(err.value) or "n must be 1" in str(err.value)
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="rsa_test",
                                       messages=[{"role": "system", "content": "hi"}])
    assert err.value.body["param"] == "messages"
    assert len(proxy.fake.requests) == 2  # nothing was sent for a refused request


def test_hostile_bodies_get_openai_shaped_errors_and_reach_nothing(proxy_for):
    proxy = proxy_for(max_body_bytes=2000)
    url = proxy.url + "/chat/completions"
    big = {"model": "rsa_test", "messages": ask("What is 1+1?" + " " * 3000)}
    for body, status, code in ((b"{not json", 400, "invalid_json"), (b"[1, 2]", 400,
                               "invalid_json"), (b'{"a": NaN}', 400, "invalid_json"),
                               (json.dumps(big).encode(), 413, "request_too_large")):
        answer = httpx.post(url, content=body, headers={"content-type": "application/json"})
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert httpx.get(proxy.url + "/nothing").json()["error"]["code"] == "not_found"
    assert proxy.fake.requests == []


def test_a_bad_param_type_names_the_field_and_the_fix(proxy):
    with pytest.raises(openai.BadRequestError) as err:
        proxy.client().chat.completions.create(model="rsa_test", messages=ask("What is 1+3?"),
                                               extra_body={"K": "two"})
    assert err.value.body["param"] == "K" and err.value.body["code"] == "invalid_param"
    assert 'extra_body {"K": ' in err.value.body["message"]


def test_streaming_reports_progress_then_the_answer(proxy_for):
    proxy = proxy_for(FakeLLM(reply=sums, delay=lambda body: 0.05))
    chunks = list(proxy.client().chat.completions.create(
        model="rsa_test", messages=ask("What is 30+12?"), stream=True,
        stream_options={"include_usage": True}))
    run_id = chunks[0].model_extra["pipe"]["run_id"]
    progress = [c.model_extra["pipe"]["progress"] for c in chunks
                if "progress" in (c.model_extra.get("pipe") or {})]
    assert len(progress) >= 2, "progress while the run works"
    done = [p["calls"] for p in progress]
    assert done == sorted(done) and done[-1] == 6 and progress[0]["calls_planned"] == 6
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "\\boxed{42}"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == sum(
        r.prompt_tokens for r in calls_of(proxy, run_id))
    assert chunks[-1].model_extra["pipe"]["run_id"] == run_id
    assert pipelines.show(run_id, proxy.store)["run"]["status"] == "ok"


def test_a_bad_streamed_request_is_refused_before_the_stream(proxy):
    with pytest.raises(openai.BadRequestError):
        proxy.client().chat.completions.create(model="rsa_test", messages=ask("What is 1+1?"),
                                               stream=True, extra_body={"T": "x"})


def test_a_budget_per_request_stops_the_run_and_resume_finishes_it(proxy_for):
    """A call's worst case is $1.28 (64 output tokens at $0.02), it costs $1.02: $4.50 admits
    the 3 solutions (reserved together, $3.84) and then 1 of the 3 aggregations."""
    proxy = proxy_for(FakeLLM(reply=sums))
    client = proxy.client()
    with pytest.raises(openai.APIStatusError) as err:
        client.chat.completions.create(model="rsa_test", messages=ask("What is 5+6?"),
                                       extra_body={"pipe": {"max_cost": 4.5}})
    assert err.value.status_code == 402 and err.value.body["code"] == "budget_exceeded"
    pipe = err.value.response.json()["pipe"]
    assert pipe["status"] == "budget" and pipe["calls"] == 4 == len(proxy.fake.requests)
    assert 4 * 1.02 < pipe["usd"] <= 4.5  # 4 replies at $1.02, plus their prompts
    assert pipelines.show(pipe["run_id"], proxy.store)["run"]["status"] == "budget"
    done = client.chat.completions.create(
        model="rsa_test", messages=ask("What is 5+6?"),
        extra_body={"pipe": {"max_cost": 20.0, "resume": pipe["run_id"]}})
    assert done.choices[0].message.content == "\\boxed{11}"
    assert done.model_extra["pipe"]["run_id"] == pipe["run_id"]
    assert len(proxy.fake.requests) == 6, "the 4 calls made before the stop were not repeated"
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="rsa_test", messages=ask("What is 9+9?"),
                                       extra_body={"pipe": {"resume": pipe["run_id"]}})
    assert err.value.body["param"] == "pipe.resume"


def test_the_server_budget_is_the_default_and_the_ceiling(proxy_for):
    proxy = proxy_for(max_cost=3.0)
    client = proxy.client()
    with pytest.raises(openai.APIStatusError) as err:
        client.chat.completions.create(model="rsa_test", messages=ask("What is 4+4?"))
    assert err.value.status_code == 402
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="rsa_test", messages=ask("What is 4+4?"),
                                       extra_body={"pipe": {"max_cost": 50}})
    assert err.value.body["param"] == "pipe.max_cost"


def test_a_client_that_leaves_stops_its_run_which_stays_resumable(proxy_for):
    proxy = proxy_for(FakeLLM(reply=sums, delay=lambda body: 0.3))
    with httpx.Client(timeout=10) as http:
        with http.stream("POST", proxy.url + "/chat/completions", json={
                "model": "rsa_test", "messages": ask("What is 8+1?"), "stream": True}) as sent:
            first = next(sent.iter_lines())
    run_id = first.split('"run_id": "')[1].split('"')[0]
    deadline = time.monotonic() + 5
    while pipelines.show(run_id, proxy.store)["run"]["status"] == "running":
        assert time.monotonic() < deadline, "the run kept going after its client left"
        time.sleep(0.05)
    assert pipelines.show(run_id, proxy.store)["run"]["status"] == "interrupted"
    done = proxy.client().chat.completions.create(
        model="rsa_test", messages=ask("What is 8+1?"), extra_body={"pipe": {"resume": run_id}})
    assert done.choices[0].message.content == "\\boxed{9}"
    assert pipelines.show(run_id, proxy.store)["run"]["status"] == "ok"


def test_requests_run_side_by_side(proxy_for):
    """Four requests at once: their upstream calls overlap (each call takes 0.2 s)."""
    proxy = proxy_for(FakeLLM(reply=sums, delay=lambda body: 0.2))
    client = proxy.client(timeout=30)
    answers: dict[int, tuple[str, str]] = {}

    def one(a: int) -> None:
        done = client.chat.completions.create(model="rsa_test", messages=ask(f"What is {a}+1?"))
        answers[a] = (done.choices[0].message.content, done.model_extra["pipe"]["run_id"])

    threads = [threading.Thread(target=one, args=(a,)) for a in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {a: text for a, (text, _) in answers.items()} == {
        a: f"\\boxed{{{a + 1}}}" for a in (1, 2, 3, 4)}
    assert len({run for _, run in answers.values()}) == 4
    in_flight, most = {}, 0
    for _, event, prompt in sorted(proxy.fake.log):
        asked = SUM.search(prompt).group(0)
        in_flight[asked] = in_flight.get(asked, 0) + (1 if event == "start" else -1)
        most = max(most, sum(1 for n in in_flight.values() if n > 0))
    assert most >= 2, "no two requests ever had a call upstream at the same time"


def test_the_gold_answer_is_scored_in_the_run(proxy):
    client = proxy.client()
    right = client.chat.completions.create(model="rsa_test", messages=ask("What is 3+3?"),
                                           extra_body={"pipe": {"gold": "6"}})
    wrong = client.chat.completions.create(model="rsa_test", messages=ask("What is 7+3?"),
                                           extra_body={"pipe": {"gold": "10"}})
    assert right.model_extra["pipe"]["correct"] is True
    assert wrong.choices[0].message.content == "\\boxed{11}"
    assert wrong.model_extra["pipe"]["correct"] is False


def test_an_upstream_that_refuses_is_a_502_naming_the_run(proxy_for):
    proxy = proxy_for(FakeLLM(reply=sums, fail=lambda body: 403))
    with pytest.raises(openai.APIStatusError) as err:
        proxy.client().chat.completions.create(model="rsa_test", messages=ask("What is 1+5?"))
    assert err.value.status_code == 502 and err.value.body["code"] == "run_failed"
    pipe = err.value.response.json()["pipe"]
    assert pipelines.show(pipe["run_id"], proxy.store)["run"]["status"] == "failed"
    assert "403" in err.value.body["message"] and pipe["run_id"] in err.value.body["message"]
