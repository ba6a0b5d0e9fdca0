"""Normalise provider usage payloads into `Usage` (see docs: token-accounting traps)."""

from __future__ import annotations

from typing import Any, Mapping

from pipelines.types import Usage


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and value > 0 else 0


def normalize_usage(raw: Mapping[str, Any] | None) -> Usage:
    """Turn an OpenAI/vLLM/SGLang or DeepSeek `usage` object into `Usage`.

    OpenAI-style: cached tokens are a subset of prompt_tokens. DeepSeek reports
    prompt_cache_hit_tokens + prompt_cache_miss_tokens instead. Reasoning tokens are a subset
    of completion_tokens in both.
    """
    raw = raw or {}
    prompt = _int(raw.get("prompt_tokens"))
    completion = _int(raw.get("completion_tokens"))
    details = raw.get("prompt_tokens_details") or {}
    cached = _int(details.get("cached_tokens"))
    if "prompt_cache_hit_tokens" in raw:
        cached = _int(raw.get("prompt_cache_hit_tokens"))
        prompt = max(prompt, cached + _int(raw.get("prompt_cache_miss_tokens")))
    reasoning = _int((raw.get("completion_tokens_details") or {}).get("reasoning_tokens"))
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        cached_tokens=min(cached, prompt),
        reasoning_tokens=min(reasoning, completion),
    )
