"""Endpoint configuration: where calls go and how hard the client tries."""

from __future__ import annotations

import os
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines.errors import InputError
from pipelines.plugins import ENDPOINTS

EMBEDDED = "embedded"
"""The literal that selects the in-process MoE server instead of a URL."""

_EXAMPLE = "use `endpoint: embedded`, `endpoint: http://host:8000/v1` or `endpoint: {urls: [...]}`"

_FIELD_FIXES = {
    "n_requests": "set `n_requests:` to auto (one request for n samples, falling back when the "
                  "endpoint ignores n), one (always one) or separate (one request per sample)",
    "max_n": "set `max_n:` to the most choices the endpoint returns for one request (1 to 1024)",
}


def normalize_base_url(url: str) -> str:
    """Check an OpenAI base URL (no credentials, no query) and return it without a trailing slash.

    An empty path becomes `/v1`, where every OpenAI-compatible server mounts its API.
    """
    parts = urlsplit(url.strip())
    if parts.username or parts.password:  # say where, never echo the secret
        raise ValueError(
            f"the URL for host {parts.hostname!r} carries credentials; "
            "put the key in an environment variable named by `api_key_env`"
        )
    if parts.query or parts.fragment:  # a token in a query string would leak into keys and logs
        raise ValueError(
            f"the URL for host {parts.hostname!r} has a query string or fragment; give the bare base "
            "URL and put any key in the environment variable named by `api_key_env`"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL with a host")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    path = parts.path.rstrip("/") or "/v1"
    return urlunsplit((parts.scheme, netloc, path, "", ""))


class EndpointConfig(BaseModel):
    """One OpenAI-compatible endpoint: a URL, several replica URLs, or the embedded server."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    url: str | None = None
    """Base URL of the API (e.g. `http://localhost:8000/v1`), or the literal `embedded`."""
    urls: tuple[str, ...] | None = None
    """Base URLs of several replicas serving the same model; requests sharing a route key
    stick to one replica."""
    api_key_env: str = "OPENAI_API_KEY"
    """Name of the environment variable holding the API key (the key itself is never stored)."""
    concurrency: int = Field(default=16, ge=1, le=4096)
    """Most calls in flight at once on this endpoint (all replicas together); 429s lower it
    for a while."""
    max_retries: int = Field(default=5, ge=0, le=50)
    """Retries after the first attempt for 408/409/429/5xx, timeouts, drops and malformed replies."""
    timeout_s: float = Field(default=600.0, gt=0)
    """Deadline of one attempt, in seconds."""
    backoff_base_s: float = Field(default=0.5, gt=0)
    """First retry waits up to this long; the bound doubles per retry (full jitter)."""
    backoff_max_s: float = Field(default=30.0, gt=0)
    """Upper bound of one backoff wait without a Retry-After header."""
    retry_after_max_s: float = Field(default=120.0, ge=0)
    """Cap on a server's Retry-After / retry-after-ms wait, in seconds."""
    n_requests: Literal["auto", "one", "separate"] = "auto"
    """How an llm node's `n` samples are asked for. `auto`: one request with `n` (the prompt
    is processed and billed once), falling back to one request per sample for the rest of the
    run if the endpoint answers with fewer choices or refuses `n` (400/422); `one`: always one
    request, an endpoint that ignores `n` is an error; `separate`: one request per sample."""
    max_n: int = Field(default=64, ge=1, le=1024)
    """Most choices one request asks for; more samples are split over several requests (the
    embedded server takes 64, OpenAI 128)."""

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return EMBEDDED if value.strip() == EMBEDDED else normalize_base_url(value)

    @field_validator("urls")
    @classmethod
    def _check_urls(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("`urls` is empty; give at least one replica URL")
        if any(u.strip() == EMBEDDED for u in value):
            raise ValueError("`embedded` cannot be a replica; use `url: embedded` alone")
        normalized = tuple(normalize_base_url(u) for u in value)
        if len(set(normalized)) != len(normalized):
            raise ValueError(f"`urls` lists a replica twice: {list(normalized)}")
        return normalized

    @model_validator(mode="after")
    def _one_target(self) -> EndpointConfig:
        if (self.url is None) == (self.urls is None):
            raise ValueError(f"give exactly one of `url` and `urls`; {_EXAMPLE}")
        return self

    @property
    def is_embedded(self) -> bool:
        return self.url == EMBEDDED

    @property
    def replicas(self) -> tuple[str, ...]:
        """Base URLs, in a stable (sorted) order; `("embedded",)` for the embedded server."""
        return tuple(sorted(self.urls)) if self.urls else (self.url or EMBEDDED,)

    @property
    def identity(self) -> str:
        """Names the endpoint in cache keys and reports; contains no secret."""
        return ",".join(self.replicas)


def resolve_endpoint(spec: str | dict[str, Any] | EndpointConfig | None) -> EndpointConfig:
    """Turn a recipe's or CLI's endpoint spec into an `EndpointConfig`.

    None means `$OPENAI_BASE_URL` if set, else the embedded server. A string is a URL or
    `embedded`; a dict holds `EndpointConfig` fields.
    """
    if isinstance(spec, EndpointConfig):
        return spec
    if spec is None:
        spec = os.environ.get("OPENAI_BASE_URL") or EMBEDDED
    if isinstance(spec, str):
        spec = {"url": spec}
    if not isinstance(spec, dict):
        raise InputError(f"endpoint: expected a URL, `embedded` or a mapping, got {spec!r}; {_EXAMPLE}")
    try:
        return EndpointConfig.model_validate(spec)
    except ValidationError as err:
        problems = "; ".join(
            f"endpoint.{'.'.join(str(p) for p in e['loc']) or '(spec)'}: {e['msg']}" for e in err.errors()
        )
        fields = {str(e["loc"][0]) for e in err.errors() if e["loc"]}
        fix = next((f for name, f in _FIELD_FIXES.items() if name in fields), _EXAMPLE)
        raise InputError(f"{problems}\n    fix: {fix}") from None


def load_embedded() -> Any:
    """The in-process embedded endpoint (`pipe.endpoints` entry point `embedded`), loaded on
    first use so that runs against a URL never import the model."""
    try:
        return ENDPOINTS.get(EMBEDDED)
    except (ImportError, KeyError) as err:
        raise InputError(
            f"the embedded endpoint needs the `moe` package ({err}); "
            "reinstall pipe, or pass --endpoint URL to use a running server") from err
