"""The shipped rsa_math recipe behind the proxy on the embedded model, and `pipe serve`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
from click.testing import CliRunner

import pipelines
from pipelines.cli.main import main
from pipelines.proxy import ProxySettings, create_app
from pipelines.proxy.runner import item_id
from tests.pipelines.live_server import free_port, serve

RSA_MATH = Path(__file__).resolve().parents[3] / "recipes" / "rsa_math.yaml"
SMALL = {"N": 2, "K": 2, "T": 2, "max_tokens": 24}
QUESTION = "What is 12+30?"


def test_rsa_math_on_the_embedded_model_answers_as_a_direct_run_does(tmp_path):
    app = create_app(ProxySettings(recipe=RSA_MATH, upstream="embedded", store=tmp_path / "p"))
    with serve(app) as url:
        client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0, timeout=120)
        done = client.chat.completions.create(
            model="rsa_math", messages=[{"role": "user", "content": QUESTION}],
            extra_body=SMALL)
    pipe = done.model_extra["pipe"]
    assert pipe["calls"] == 4 and pipe["status"] == "ok"
    direct = pipelines.run(RSA_MATH, SMALL, pipelines.RunOptions(
        endpoint="embedded", store=tmp_path / "d", dataset={"source": "inline", "items": [
            {"id": item_id(QUESTION), "question": QUESTION, "answer": None}]}))
    answer = direct.items[0]["outputs"]["answer"]
    assert pipe["answer"] == answer
    assert done.choices[0].message.content == ("" if answer is None else f"\\boxed{{{answer}}}")
    assert pipelines.show(pipe["run_id"], tmp_path / "p")["items"][0]["outputs"]["answer"] \
        == answer


def test_serve_options_of_a_recipe_need_the_recipe():
    result = CliRunner().invoke(main, ["serve", "--upstream", "embedded"])
    assert result.exit_code == 2 and "--upstream apply to a recipe" in result.output


def test_serve_refuses_a_bad_recipe_before_listening(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nnodes: {a: {kind: nope}}\n")
    result = CliRunner().invoke(main, ["serve", "--recipe", str(bad)])
    assert result.exit_code == 2 and "error:" in result.output


def test_pipe_serve_recipe_listens_on_localhost(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "serve", "--recipe", str(RSA_MATH),
         "--port", str(port), "--store", str(tmp_path / "store")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline, listed = time.monotonic() + 60, None
        while listed is None and time.monotonic() < deadline and server.poll() is None:
            try:
                listed = httpx.get(f"http://127.0.0.1:{port}/v1/models").json()
            except httpx.TransportError:
                time.sleep(0.2)
        assert listed == {"object": "list", "data": [
            {"id": "rsa_math", "object": "model", "created": listed["data"][0]["created"],
             "owned_by": "pipe"}]}
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert f"serving recipe 'rsa_math' as model 'rsa_math' at http://127.0.0.1:{port}/v1" \
        in output


def test_serve_without_a_recipe_is_the_embedded_server_with_all_its_options(monkeypatch):
    served = []
    monkeypatch.setattr("moe.server.serve", lambda **kw: served.append(kw))
    result = CliRunner().invoke(main, ["serve", "--port", "9001", "--max-prompts", "7"])
    assert result.exit_code == 0, result.output
    [kw] = served
    assert (kw["host"], kw["port"], kw["limits"].max_prompts) == ("127.0.0.1", 9001, 7)
