"""normalize_usage: every provider shape maps to Usage with no token counted twice."""

from pipelines.types import Usage
from pipelines.endpoints.usage import normalize_usage


def test_openai_chat_cached_is_subset_of_prompt():
    raw = {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
           "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
           "completion_tokens_details": {"reasoning_tokens": 0}}
    assert normalize_usage(raw) == Usage(prompt_tokens=1200, completion_tokens=300,
                                         cached_tokens=1024)


def test_deepseek_hit_plus_miss_is_the_prompt():
    # DeepSeek also echoes prompt_tokens_details.cached_tokens: counted once, from the hit field
    raw = {"prompt_tokens": 1000, "completion_tokens": 50, "prompt_cache_hit_tokens": 640,
           "prompt_cache_miss_tokens": 360, "prompt_tokens_details": {"cached_tokens": 640}}
    u = normalize_usage(raw)
    assert (u.prompt_tokens, u.cached_tokens) == (1000, 640)


def test_deepseek_without_prompt_tokens_rebuilds_it():
    u = normalize_usage({"prompt_cache_hit_tokens": 64, "prompt_cache_miss_tokens": 36,
                         "completion_tokens": 5})
    assert (u.prompt_tokens, u.cached_tokens, u.completion_tokens) == (100, 64, 5)


def test_reasoning_is_subset_of_completion():
    raw = {"prompt_tokens": 20, "completion_tokens": 900,
           "completion_tokens_details": {"reasoning_tokens": 850}}
    u = normalize_usage(raw)
    assert (u.completion_tokens, u.reasoning_tokens, u.total_tokens) == (900, 850, 920)


def test_inconsistent_subsets_are_clamped():
    raw = {"prompt_tokens": 10, "completion_tokens": 5,
           "prompt_tokens_details": {"cached_tokens": 50},
           "completion_tokens_details": {"reasoning_tokens": 9}}
    u = normalize_usage(raw)
    assert (u.cached_tokens, u.reasoning_tokens) == (10, 5)


def test_missing_and_null_fields_count_zero():
    assert normalize_usage(None) == Usage()
    assert normalize_usage({}) == Usage()
    raw = {"prompt_tokens": 7, "completion_tokens": None, "prompt_tokens_details": None,
           "completion_tokens_details": None}
    assert normalize_usage(raw) == Usage(prompt_tokens=7)
    # vLLM without --enable-prompt-tokens-details: details present but cached_tokens null
    raw = {"prompt_tokens": 7, "completion_tokens": 3,
           "prompt_tokens_details": {"cached_tokens": None}}
    assert normalize_usage(raw) == Usage(prompt_tokens=7, completion_tokens=3)


def test_negative_and_boolean_values_count_zero():
    assert normalize_usage({"prompt_tokens": -4, "completion_tokens": True}) == Usage()


def test_completion_from_total_when_missing():
    assert normalize_usage({"prompt_tokens": 30, "total_tokens": 42}).completion_tokens == 12


def test_anthropic_input_excludes_cache_reads_and_writes():
    raw = {"input_tokens": 3000, "output_tokens": 1000, "cache_read_input_tokens": 2000,
           "cache_creation_input_tokens": 5000}
    assert normalize_usage(raw) == Usage(prompt_tokens=10000, completion_tokens=1000,
                                         cached_tokens=2000, cache_write_tokens=5000)


def test_openai_responses_input_includes_cached():
    raw = {"input_tokens": 500, "output_tokens": 80,
           "input_tokens_details": {"cached_tokens": 128},
           "output_tokens_details": {"reasoning_tokens": 64}}
    assert normalize_usage(raw) == Usage(prompt_tokens=500, completion_tokens=80,
                                         cached_tokens=128, reasoning_tokens=64)
