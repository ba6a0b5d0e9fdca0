"""EndpointConfig and resolve_endpoint: what a recipe or the CLI may say about an endpoint."""

from __future__ import annotations

import pytest

from pipelines.endpoints import EMBEDDED, EndpointConfig, resolve_endpoint
from pipelines.errors import InputError


def test_defaults() -> None:
    config = EndpointConfig(url="http://localhost:8000/v1")
    assert config.api_key_env == "OPENAI_API_KEY"
    assert (config.concurrency, config.max_retries) == (16, 5)
    assert config.timeout_s > 0 and 0 < config.backoff_base_s <= config.backoff_max_s


def test_every_field_is_documented() -> None:
    for name, info in EndpointConfig.model_fields.items():
        assert info.description, f"EndpointConfig.{name} has no docstring"


def test_none_means_openai_base_url_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.example.com/v1/")
    assert resolve_endpoint(None).url == "https://api.example.com/v1"
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert resolve_endpoint(None).is_embedded


def test_string_is_a_url_or_embedded() -> None:
    assert resolve_endpoint("embedded") == EndpointConfig(url=EMBEDDED)
    assert resolve_endpoint("embedded").identity == "embedded"
    assert resolve_endpoint("http://127.0.0.1:30000/v1").replicas == ("http://127.0.0.1:30000/v1",)


def test_empty_path_means_v1() -> None:
    assert resolve_endpoint("http://localhost:8000").url == "http://localhost:8000/v1"
    assert resolve_endpoint("http://localhost:8000/").url == "http://localhost:8000/v1"


def test_dict_with_replicas_and_identity_is_order_free() -> None:
    a = resolve_endpoint({"urls": ["http://b:2/v1", "http://a:1/v1"], "concurrency": 32})
    b = resolve_endpoint({"urls": ["http://a:1/v1", "http://b:2/v1"], "concurrency": 8})
    assert a.identity == b.identity == "http://a:1/v1,http://b:2/v1"
    assert a.concurrency == 32


def test_config_passes_through() -> None:
    config = EndpointConfig(url="embedded")
    assert resolve_endpoint(config) is config


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"url": "http://a/v1", "concurency": 4}, "endpoint.concurency: Extra inputs are not permitted"),
        ({"url": "http://a/v1", "urls": ["http://b/v1"]}, "exactly one of `url` and `urls`"),
        ({"concurrency": 4}, "exactly one of `url` and `urls`"),
        ({"urls": []}, "`urls` is empty"),
        ({"urls": ["http://a/v1", "http://a/v1/"]}, "lists a replica twice"),
        ({"urls": ["embedded"]}, "`embedded` cannot be a replica"),
        ("localhost:8000", "not an http(s) URL"),
        ("http://user:sk-secret@host/v1", "carries credentials"),
        ("https://proxy.example.com/v1?token=sk-secret", "has a query string"),
        ({"url": "http://a/v1", "concurrency": 0}, "endpoint.concurrency"),
        ({"url": "http://a/v1", "max_retries": -1}, "endpoint.max_retries"),
        (42, "expected a URL, `embedded` or a mapping"),
    ],
)
def test_bad_specs_are_one_clear_input_error(spec: object, message: str) -> None:
    with pytest.raises(InputError) as caught:
        resolve_endpoint(spec)  # type: ignore[arg-type]
    assert message in str(caught.value)
    assert "sk-secret" not in str(caught.value)
    assert "fix:" in str(caught.value) or isinstance(spec, int)
