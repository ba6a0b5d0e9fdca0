"""Normalise provider usage payloads into `Usage` (see docs: token-accounting traps).

Shapes understood, each mapped so that no token is counted twice:
- OpenAI chat / vLLM / SGLang: `prompt_tokens` includes `prompt_tokens_details.cached_tokens`;
- DeepSeek: `prompt_cache_hit_tokens` + `prompt_cache_miss_tokens` = the prompt;
- Anthropic: `input_tokens` excludes `cache_read_input_tokens` and
  `cache_creation_input_tokens`, so the prompt is rebuilt as their sum;
- OpenAI Responses: `input_tokens` includes `input_tokens_details.cached_tokens`;
- everywhere: reasoning tokens are a subset of the completion.
Missing, null or negative fields count as 0.
"""

from __future__ import annotations

from typing import Any, Mapping

from pipelines.types import Usage


def _int(value: Any) -> int:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    return int(value) if ok else 0


def _detail(raw: Mapping[str, Any], section: str, key: str) -> int:
    details = raw.get(section)
    return _int(details.get(key)) if isinstance(details, Mapping) else 0


def _chat_shape(raw: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """(prompt, completion, cached, cache_write) for OpenAI-chat-style and DeepSeek payloads."""
    prompt = _int(raw.get("prompt_tokens"))
    completion = _int(raw.get("completion_tokens"))
    if "completion_tokens" not in raw and "total_tokens" in raw:
        completion = max(_int(raw.get("total_tokens")) - prompt, 0)
    cached = _detail(raw, "prompt_tokens_details", "cached_tokens")
    if raw.get("prompt_cache_hit_tokens") is not None:  # DeepSeek: hit + miss = prompt
        cached = _int(raw.get("prompt_cache_hit_tokens"))
        prompt = max(prompt, cached + _int(raw.get("prompt_cache_miss_tokens")))
    return prompt, completion, cached, 0


def _input_output_shape(raw: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """(prompt, completion, cached, cache_write) for Anthropic and OpenAI Responses payloads."""
    read = _int(raw.get("cache_read_input_tokens"))
    write = _int(raw.get("cache_creation_input_tokens"))
    if read or write or "cache_read_input_tokens" in raw or "cache_creation_input_tokens" in raw:
        prompt = _int(raw.get("input_tokens")) + read + write  # Anthropic excludes cache tokens
        return prompt, _int(raw.get("output_tokens")), read, write
    cached = _detail(raw, "input_tokens_details", "cached_tokens")
    return _int(raw.get("input_tokens")), _int(raw.get("output_tokens")), cached, 0


def normalize_usage(raw: Mapping[str, Any] | None) -> Usage:
    """Turn a provider's `usage` object into `Usage` (None or {} -> all zero)."""
    raw = raw or {}
    if "prompt_tokens" not in raw and "input_tokens" in raw:
        prompt, completion, cached, write = _input_output_shape(raw)
        reasoning = _detail(raw, "output_tokens_details", "reasoning_tokens")
    else:
        prompt, completion, cached, write = _chat_shape(raw)
        reasoning = _detail(raw, "completion_tokens_details", "reasoning_tokens")
    cached = min(cached, prompt)
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        cached_tokens=cached,
        cache_write_tokens=min(write, prompt - cached),
        reasoning_tokens=min(reasoning, completion),
    )


def split_usage(usage: Usage, weights: list[int]) -> list[Usage]:
    """One request's usage shared out over its choices: the prompt (with its cached and
    cache-write parts) goes to the first choice only, as it was processed and billed once;
    output tokens go out in proportion to `weights` (each choice's text length: a response
    reports only their total) and add up to it exactly; reasoning tokens likewise, capped by
    each share of output."""
    outputs = _apportion(usage.completion_tokens, weights)
    reasoning = _apportion(usage.reasoning_tokens, weights)
    return [Usage(prompt_tokens=usage.prompt_tokens if i == 0 else 0,
                  cached_tokens=usage.cached_tokens if i == 0 else 0,
                  cache_write_tokens=usage.cache_write_tokens if i == 0 else 0,
                  completion_tokens=o, reasoning_tokens=min(r, o))
            for i, (o, r) in enumerate(zip(outputs, reasoning))]


def _apportion(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainders; a zero weight counts 1)."""
    weights = [max(w, 1) for w in weights]
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    rest = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: -(total * weights[i] % whole))
    for i in by_remainder[:rest]:
        shares[i] += 1
    return shares
