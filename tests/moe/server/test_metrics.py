import asyncio

from prometheus_client.parser import text_string_to_metric_families

from tests.moe.engine.conftest import SMALL, small_model
from tests.moe.server.conftest import asgi_http, asgi_openai

LONG_USER = [{"role": "user", "content": "Add the numbers 12, 34, 56 and 78, show work. " * 2}]


def scrape(text: str) -> dict[str, list]:
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def value(families, name, **labels) -> float:
    family = name.removesuffix("_total")
    for s in families[family]:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise KeyError(name)


def test_metrics_parse_with_vllm_names_and_move(app):
    async def scenario():
        async with asgi_openai(app) as client:
            http = client._client
            before = scrape((await http.get("http://moe/metrics")).text)
            for _ in range(2):
                r = await client.chat.completions.create(
                    model="moe-tiny", messages=LONG_USER, max_tokens=5, extra_body={"ignore_eos": True})
            after_resp = await http.get("http://moe/metrics")
            return before, scrape(after_resp.text), r, after_resp.headers["content-type"]

    before, after, last, ctype = asyncio.run(scenario())
    assert ctype.startswith("text/plain")
    for name in ("vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
                 "moe:kv_cache_bytes"):
        assert after[name][0].labels == {"model_name": "moe-tiny"}
    prompt = last.usage.prompt_tokens
    assert value(before, "vllm:prompt_tokens_total") == 0
    assert value(after, "vllm:prompt_tokens_total") == 2 * prompt
    assert value(after, "vllm:generation_tokens_total") == 10
    assert value(after, "vllm:prefix_cache_queries_total") == 2 * prompt
    # The second call finds the first one's full prompt blocks (the last token is recomputed).
    hits = (prompt - 1) // 8 * 8
    assert value(after, "vllm:prefix_cache_hits_total") == last.usage.prompt_tokens_details.cached_tokens == hits
    assert value(after, "moe:prefill_tokens_computed_total") == 2 * prompt - hits
    assert value(after, "vllm:request_success_total", finished_reason="length") == 2
    # Nothing is live: the bytes held are the prefix cache's blocks, 8 tokens of latent rows each.
    blocks = value(after, "moe:prefix_cache_blocks")
    assert blocks >= prompt // 8
    assert value(after, "moe:kv_cache_bytes") == blocks * 8 * small_model().kv_bytes_per_token()
    assert value(after, "vllm:num_requests_running") == 0
    experts = [s for s in after["moe:expert_tokens"] if s.name == "moe:expert_tokens_total"]
    assert len(experts) == SMALL.n_layers * SMALL.n_routed_experts
    # Every token run through the model goes to top_k experts in each layer: the prompt tokens
    # computed, and each choice's generated tokens but the last (never fed back).
    forwarded = value(after, "moe:prefill_tokens_computed_total") + 2 * (5 - 1)
    assert sum(s.value for s in experts) == forwarded * SMALL.top_k * SMALL.n_layers
    ttft = {s.labels.get("le"): s.value for s in after["vllm:time_to_first_token_seconds"]
            if s.name.endswith("_bucket")}
    assert ttft["+Inf"] == 2
    itl = [s for s in after["vllm:inter_token_latency_seconds"] if s.name.endswith("_count")]
    assert itl[0].value == 8


def test_metrics_and_health_work_before_any_generation(app):
    async def scenario():
        async with asgi_http(app) as http:
            return await http.get("/health"), await http.get("/metrics")
    health, metrics = asyncio.run(scenario())
    assert health.json() == {"status": "ok"}
    assert value(scrape(metrics.text), "vllm:num_requests_running") == 0
