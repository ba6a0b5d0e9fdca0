"""`response_format` through the official openai client over a real port: its own pydantic →
strict JSON schema conversion (`chat.completions.parse`), json_object, streaming, and the 400
that names what a schema asks for but constrained decoding cannot hold."""

from __future__ import annotations

import json
from typing import Literal, Optional

import jsonschema
import openai
import pytest
from pydantic import BaseModel, Field

ASK = [{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "Who is on duty?"}]


class Shift(BaseModel):
    day: Literal["mon", "tue", "wed"]
    hours: int


class Person(BaseModel):
    name: str = Field(max_length=8)
    nickname: Optional[str] = Field(default=None, max_length=4)
    score: float
    on_call: bool
    shifts: list[Shift] = Field(max_length=2)


def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url + "/v1", api_key="none", max_retries=0)


def test_the_clients_pydantic_parse_gets_a_valid_object_on_every_seed(live_server):
    base_url, _ = live_server
    for seed in range(4):
        done = client(base_url).chat.completions.parse(model="moe-tiny", messages=ASK, response_format=Person,
                                                       temperature=1.0, seed=seed, max_tokens=200, n=2)
        for choice in done.choices:
            assert choice.finish_reason == "stop", choice.message.content
            assert isinstance(choice.message.parsed, Person)  # the client's own validation
            assert Person.model_validate_json(choice.message.content) == choice.message.parsed


def test_json_object_and_a_stream_give_json(live_server):
    base_url, _ = live_server
    schema = {"type": "object", "required": ["ok", "n"], "additionalProperties": False,
              "properties": {"ok": {"type": "boolean"}, "n": {"type": "array", "items": {"type": "integer"},
                                                               "maxItems": 3}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "flags", "schema": schema, "strict": True}}
    chunks = client(base_url).chat.completions.create(model="moe-tiny", messages=ASK, response_format=fmt,
                                                      seed=5, max_tokens=120, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    jsonschema.validate(json.loads(text), schema)
    replies = client(base_url).chat.completions.create(
        model="moe-tiny", messages=ASK, response_format={"type": "json_object"}, seed=1, n=8, max_tokens=200)
    ended = [c.message.content for c in replies.choices if c.finish_reason == "stop"]
    assert ended and all(isinstance(json.loads(t), dict) for t in ended)


@pytest.mark.parametrize("fmt, param, words", [
    ({"type": "json_schema", "json_schema": {"name": "s", "schema": {
        "type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}}},
     "response_format.json_schema.schema.properties.zip", "'pattern' is not supported"),
    ({"type": "json_schema"}, "response_format", "give json_schema exactly when"),
    ({"type": "xml"}, "response_format.type", "Input should be"),
])
def test_a_schema_that_cannot_be_held_is_a_400_naming_its_part(live_server, fmt, param, words):
    base_url, _ = live_server
    with pytest.raises(openai.BadRequestError) as caught:
        client(base_url).chat.completions.create(model="moe-tiny", messages=ASK, response_format=fmt)
    error = caught.value.body
    assert error["param"] == param and words in error["message"], error
