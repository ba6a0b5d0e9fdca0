"""GET /metrics: Prometheus text format with vLLM's metric names (plus `moe:` extras).

`pipe cost calibrate` reads vLLM-style scrapes, so the vllm:* names here must stay exact.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from moe.engine.engine import LLMEngine
from moe.engine.stats import Histogram

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return "{" + inner + "}"


def _num(value: float) -> str:
    return "+Inf" if value == float("inf") else repr(float(value))


class Exposition:
    def __init__(self, model_name: str):
        self.base = {"model_name": model_name}
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]

    def sample(self, name: str, value: float, **labels: str) -> None:
        self.lines.append(f"{name}{_labels({**self.base, **labels})} {_num(value)}")

    def scalar(self, name: str, kind: str, help_text: str, value: float) -> None:
        self.family(name, kind, help_text)
        self.sample(name, value)

    def histogram(self, name: str, help_text: str, hist: Histogram) -> None:
        self.family(name, "histogram", help_text)
        for bound, count in hist.cumulative():
            self.sample(f"{name}_bucket", count, le=_num(bound))
        self.sample(f"{name}_count", hist.count)
        self.sample(f"{name}_sum", hist.sum)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def render(engine: LLMEngine, model_name: str) -> str:
    s, out = engine.stats, Exposition(model_name)
    out.scalar("vllm:num_requests_running", "gauge", "Requests in the running batch.",
               engine.num_running)
    out.scalar("vllm:num_requests_waiting", "gauge", "Requests waiting to be admitted.",
               engine.num_waiting)
    out.scalar("vllm:kv_cache_usage_perc", "gauge",
               "KV-cache usage: share of the block pool reserved by live requests (1 = 100%).",
               engine.blocks.usage)
    out.scalar("moe:kv_cache_bytes", "gauge",
               "Bytes of KV cache rows held: live requests plus the prefix cache.",
               engine.kv_cache_bytes())
    out.scalar("moe:kv_cache_blocks", "gauge", "Blocks in the KV pool.", engine.blocks.num_blocks)
    out.scalar("moe:prefix_cache_blocks", "gauge", "Blocks held by the prefix cache.",
               engine.blocks.cached_blocks)
    for name, help_text, value in (
        ("vllm:prompt_tokens_total", "Prompt tokens of admitted requests.", s.prompt_tokens),
        ("vllm:generation_tokens_total", "Generated tokens.", s.generation_tokens),
        ("vllm:prefix_cache_queries_total", "Prompt tokens looked up in the prefix cache.",
         s.prefix_cache_queries),
        ("vllm:prefix_cache_hits_total", "Prompt tokens served from the prefix cache.",
         s.prefix_cache_hits),
        ("moe:prefill_tokens_computed_total", "Prompt tokens run through the model.",
         s.prefill_tokens_computed),
        ("moe:engine_steps_total", "Forward passes of the engine.", s.steps),
    ):
        out.scalar(name, "counter", help_text, value)
    out.family("vllm:request_success_total", "counter", "Finished requests by finish reason.")
    for reason, count in sorted(s.requests_finished.items()):
        out.sample("vllm:request_success_total", count, finished_reason=reason)
    out.family("moe:expert_tokens_total", "counter", "Tokens routed to each expert, per layer.")
    if s.expert_tokens is not None:
        for layer, row in enumerate(s.expert_tokens):
            for expert, count in enumerate(row):
                out.sample("moe:expert_tokens_total", int(count), layer=str(layer),
                           expert=str(expert))
    out.histogram("vllm:time_to_first_token_seconds", "Time to first token.", s.ttft)
    out.histogram("vllm:inter_token_latency_seconds", "Time between output tokens.",
                  s.inter_token)
    out.histogram("vllm:time_per_output_token_seconds",
                  "Time between output tokens (the older vLLM name).", s.inter_token)
    out.histogram("vllm:e2e_request_latency_seconds", "Request latency, arrival to finish.",
                  s.e2e)
    return out.text()


async def metrics(request: Request) -> Response:
    service = request.app.state.service
    return Response(render(service.engine.engine, service.model_name), media_type=CONTENT_TYPE)


def routes() -> list[Route]:
    return [Route("/metrics", metrics, methods=["GET"])]
