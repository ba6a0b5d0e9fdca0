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
