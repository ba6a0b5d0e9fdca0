"""A chat request to the proxy, read into what a run needs: the question, params, budget.

    messages         the last user message is the item's question (text parts are joined)
    extra_body       the recipe's params by name (`{"N": 4, "T": 2}`), typed by the recipe
    extra_body.pipe  the proxy's own controls: `max_cost` (USD for this request),
                     `resume` (a run id to continue), `gold` (the expected answer, scored)
    temperature, seed, max_tokens (or max_completion_tokens)
                     set the recipe's params of those names, when the recipe has them

Fields that change nothing a recipe does (top_p, stop, user, ...) are ignored; those whose
promise the proxy cannot keep (n > 1, tools, logprobs, a JSON response_format) are refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from pipelines.proxy.errors import ProxyError

SAMPLING = {"temperature": "temperature", "seed": "seed", "max_tokens": "max_tokens",
            "max_completion_tokens": "max_tokens"}
"""OpenAI fields that set the recipe param of the same meaning (when the recipe has one)."""
IGNORED = frozenset({
    "top_p", "stop", "user", "presence_penalty", "frequency_penalty", "logit_bias", "metadata",
    "store", "service_tier", "parallel_tool_calls", "reasoning_effort", "top_logprobs",
    "modalities", "prediction", "web_search_options", "verbosity", "safety_identifier",
    "prompt_cache_key", "tool_choice", "function_call", "stream_options", "response_format",
    "tools", "functions", "logprobs", "n"})
"""OpenAI fields read here (stream_options) or checked (n, tools, ...), or that do not apply."""
CONTROLS = ("max_cost", "resume", "gold")


@dataclass
class ProxyRequest:
    """One chat request, checked."""

    question: str
    params: dict[str, Any] = field(default_factory=dict)
    max_cost: float | None = None
    resume: str | None = None
    gold: Any = None
    stream: bool = False
    include_usage: bool = False


async def read_body(chunks: AsyncIterator[bytes], declared: str, max_bytes: int) -> bytes:
    """The raw body, read no further than `max_bytes` (413 past it)."""
    too_big = ProxyError(413, f"request body exceeds the limit of {max_bytes} bytes",
                         code="request_too_large")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > max_bytes:
            raise too_big
    return bytes(body)


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of a request body; 400 if it is not one."""
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ProxyError(400, f"the request body is not valid JSON: {exc}",
                         code="invalid_json") from None
    if not isinstance(body, dict):
        raise ProxyError(400, "the request body must be a JSON object", code="invalid_json")
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def read_request(body: dict[str, Any], recipe_params: set[str]) -> ProxyRequest:
    """Check `body` (a chat.completions request) against the recipe's param names."""
    _refuse_unkept(body)
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ProxyError(400, "stream must be a boolean", param="stream")
    options = body.get("stream_options") or {}
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    params = {SAMPLING[k]: v for k, v in body.items()
              if k in SAMPLING and v is not None and SAMPLING[k] in recipe_params}
    extra = {k: v for k, v in body.items()
             if k not in SAMPLING and k not in IGNORED and k not in ("model", "messages",
                                                                    "stream", "pipe")}
    unknown = sorted(set(extra) - recipe_params)
    if unknown:
        raise ProxyError(400, f"unknown field {unknown[0]!r}: not an OpenAI field nor a param "
                         f"of this recipe; its params are {sorted(recipe_params)} (pass them "
                         "in extra_body), proxy controls go in extra_body.pipe "
                         f"({', '.join(CONTROLS)})", param=unknown[0], code="unknown_param")
    controls = _controls(body.get("pipe"))
    return ProxyRequest(question=question_of(body.get("messages")), params={**params, **extra},
                        stream=stream, include_usage=include_usage, **controls)


def _refuse_unkept(body: dict[str, Any]) -> None:
    """400 for what a recipe run cannot honour: several choices, tools, logprobs, JSON mode."""
    if body.get("n", 1) not in (1, None):
        raise ProxyError(400, "n must be 1: a recipe run gives one (voted) answer; send "
                         "several requests for several answers", param="n")
    for name in ("tools", "functions"):
        if body.get(name):
            raise ProxyError(400, f"{name} are not supported: a recipe answers with text",
                             param=name)
    if body.get("logprobs"):
        raise ProxyError(400, "logprobs are not supported: the answer is voted, not sampled",
                         param="logprobs")
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type", "text") != "text":
        raise ProxyError(400, "only response_format {\"type\": \"text\"} is supported",
                         param="response_format")


def _controls(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProxyError(400, "pipe must be an object, e.g. {\"max_cost\": 0.05}", param="pipe")
    unknown = sorted(set(value) - set(CONTROLS))
    if unknown:
        raise ProxyError(400, f"unknown pipe control {unknown[0]!r}; known: {list(CONTROLS)}",
                         param=f"pipe.{unknown[0]}")
    cost = value.get("max_cost")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, (int, float))
                             or cost <= 0):
        raise ProxyError(400, f"pipe.max_cost must be a positive number of USD, got {cost!r}",
                         param="pipe.max_cost")
    resume = value.get("resume")
    if resume is not None and (not isinstance(resume, str) or not resume):
        raise ProxyError(400, "pipe.resume must be a run id (a string, as in pipe.run_id)",
                         param="pipe.resume")
    return {"max_cost": float(cost) if cost is not None else None, "resume": resume,
            "gold": value.get("gold")}


def question_of(messages: Any) -> str:
    """The text of the last user message; 400 naming the field when there is none."""
    if not isinstance(messages, list) or not messages:
        raise ProxyError(400, "messages must be a non-empty array", param="messages")
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if not isinstance(message, dict):
            raise ProxyError(400, f"messages[{index}] must be an object",
                             param=f"messages.{index}")
        if message.get("role") == "user":
            text = _text(message.get("content"), index)
            if not text.strip():
                raise ProxyError(400, f"messages[{index}] (the last user message, the "
                                 "question) is empty", param=f"messages.{index}.content")
            return text
    raise ProxyError(400, "no user message: the last user message is the question",
                     param="messages")


def _text(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) for p in content):
        if any(p.get("type") != "text" for p in content):
            raise ProxyError(400, f"messages[{index}].content: only text parts are supported",
                             param=f"messages.{index}.content")
        return "".join(str(p.get("text", "")) for p in content)
    raise ProxyError(400, f"messages[{index}].content must be a string or text parts",
                     param=f"messages.{index}.content")
