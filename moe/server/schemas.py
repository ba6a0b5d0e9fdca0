"""Request bodies of the OpenAI endpoints, validated with pydantic into `APIError(400)`s.

Types are strict, as OpenAI's are: `"max_tokens": "10"` or `10.0` is refused, not coerced
(an integer is accepted where a number is asked for)."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from moe.engine.sampler import SamplingParams
from moe.server.errors import APIError
from moe.structured import SchemaError, any_object, compile_schema

MAX_N = 64
MAX_STOPS = 16
STRICT = ConfigDict(strict=True, extra="ignore")
# JSON names of the types pydantic expects (by error type) and of the values clients send.
_EXPECTED = {"int_type": "an integer", "float_type": "a number", "string_type": "a string",
             "bool_type": "a boolean", "list_type": "an array", "dict_type": "an object",
             "model_type": "an object", "model_attributes_type": "an object"}
_JSON_TYPES = {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
               list: "an array", dict: "an object", type(None): "null"}
# Parts of a pydantic error location that name a union member, not a field.
_UNION_TAG = re.compile(r"^(str|int|float|bool|none|[a-z-]+\[.*\]|[A-Z]\w*)$")


class TextPart(BaseModel):
    model_config = STRICT
    type: Literal["text"]
    text: str


class Message(BaseModel):
    model_config = STRICT  # name, tool_call_id, ... carry no meaning here
    role: Literal["system", "developer", "user", "assistant"]
    content: Union[str, list[TextPart], None] = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = STRICT
    include_usage: bool = False


class JsonSchemaFormat(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True)
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    schema_: Union[dict, bool] = Field(default_factory=dict, alias="schema")
    description: str | None = None
    strict: bool | None = None
    """Accepted either way: every answer is held to the schema (`moe.structured`)."""


class ResponseFormat(BaseModel):
    """`text`, `json_object` (any JSON object) or `json_schema`; the JSON kinds are enforced by
    constrained decoding, so even a tiny model's answer parses and validates."""

    model_config = ConfigDict(strict=True, extra="forbid")
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None

    @model_validator(mode="after")
    def _schema_given(self) -> "ResponseFormat":
        if (self.type == "json_schema") != (self.json_schema is not None):
            raise ValueError("give json_schema exactly when type is \"json_schema\"")
        return self

    def grammar(self) -> Any:
        """The compiled grammar (None for text); an unsupported schema is a 400 naming its part."""
        if self.type == "json_object":
            return any_object()
        if self.json_schema is None:
            return None
        try:
            return _compiled(json.dumps(self.json_schema.schema_, sort_keys=False))
        except SchemaError as exc:
            where = ".".join(p for p in ("response_format.json_schema.schema", exc.path) if p)
            raise APIError(400, f"Invalid schema for response_format {self.json_schema.name!r}: "
                           f"{exc}", param=where,
                           code="invalid_json_schema") from None


@functools.lru_cache(maxsize=64)
def _compiled(schema_json: str) -> Any:
    """One grammar per distinct schema, so its requests share a matcher (`matcher_for`)."""
    return compile_schema(json.loads(schema_json))


class _Sampling(BaseModel):
    """Fields shared by chat and text completions. Unknown fields are rejected, as OpenAI does."""

    model_config = ConfigDict(strict=True, extra="forbid")

    model: str
    temperature: float = Field(1.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    n: int = Field(1, ge=1, le=MAX_N)
    seed: int | None = None
    stop: Union[str, list[str], None] = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = None
    ignore_eos: bool = False
    """vLLM's extension: generate past the end-of-sequence token (fixed-length benchmarks)."""
    frequency_penalty: float = Field(0.0, ge=0.0, le=0.0)
    """Not supported; accepted only at its neutral value 0."""
    presence_penalty: float = Field(0.0, ge=0.0, le=0.0)
    """Not supported; accepted only at its neutral value 0."""

    @field_validator("stop")
    @classmethod
    def _stops(cls, value: Any) -> Any:
        stops = [value] if isinstance(value, str) else (value or [])
        if len(stops) > MAX_STOPS or any(not s for s in stops):
            raise ValueError(f"give at most {MAX_STOPS} non-empty stop strings")
        return value

    def stop_strings(self) -> tuple[str, ...]:
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    def sampling(self, max_tokens: int | None) -> SamplingParams:
        return SamplingParams(
            max_tokens=max_tokens, temperature=self.temperature, top_p=self.top_p, n=self.n,
            seed=self.seed, stop=self.stop_strings(), ignore_eos=self.ignore_eos,
        )


class ChatCompletionRequest(_Sampling):
    messages: list[Message] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    """The newer name of max_tokens; wins when both are given."""
    response_format: ResponseFormat | None = None
    logprobs: Literal[False] | None = None
    store: bool | None = None
    metadata: dict[str, str] | None = None

    def limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    def sampling(self, max_tokens: int | None) -> SamplingParams:
        grammar = self.response_format.grammar() if self.response_format is not None else None
        return dataclasses.replace(super().sampling(max_tokens), grammar=grammar)


class CompletionRequest(_Sampling):
    prompt: Union[str, list[str], list[int]]
    max_tokens: int | None = Field(16, ge=1)
    """OpenAI's default for text completions is 16 tokens."""
    echo: Literal[False] = False
    logprobs: None = None
    suffix: None = None

    def limit(self) -> int | None:
        return self.max_tokens


def parse(model: type[BaseModel], body: Any) -> Any:
    """Validate a JSON body; the first problem becomes an OpenAI-shaped 400 naming the field."""
    if not isinstance(body, dict):
        raise APIError(400, "the request body must be a JSON object", code="invalid_body")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise _as_api_error(exc) from None


def _as_api_error(exc: ValidationError) -> APIError:
    err = exc.errors(include_url=False)[0]
    loc = [str(p) for p in err["loc"] if not _UNION_TAG.match(str(p))]
    param = ".".join(loc) or None
    kind = err["type"]
    if kind == "missing":
        message = f"'{param}' is a required property"
    elif kind == "extra_forbidden":
        message = f"Unrecognized request argument supplied: {param}"
    elif kind in _EXPECTED:
        got = _JSON_TYPES.get(type(err.get("input")), "another type")
        message = (f"Invalid type for '{param}': expected {_EXPECTED[kind]}, but got {got} "
                   f"instead ({_short(err.get('input'))})")
    else:
        message = f"Invalid value for '{param}': {err['msg']} (got {_short(err.get('input'))})"
    return APIError(400, message, param=param, code=kind)


def _short(value: Any, limit: int = 80) -> str:
    """The offending value for a message, cut so a huge input cannot make a huge error."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"
