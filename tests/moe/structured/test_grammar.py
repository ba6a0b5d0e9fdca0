"""The grammar of a schema against a third-party validator (`jsonschema`): every text the
matcher accepts is JSON that validates, every valid answer in compact form is accepted, and what
cannot be enforced is refused with the path of the part that asks for it."""

from __future__ import annotations

import json
import re

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moe.structured import Matcher, SchemaError, any_object, compile_schema

PERSON = {"type": "object", "additionalProperties": False, "required": ["name", "age"], "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 6},
    "age": {"type": "integer"},
    "tags": {"type": "array", "items": {"enum": ["a", "b", "é", 3, None]}, "minItems": 1, "maxItems": 2},
    "score": {"anyOf": [{"type": "number"}, {"type": "null"}]},
    "ok": {"type": "boolean"}}}
TREE = {"$defs": {"node": {"type": "object", "required": ["v", "kids"], "properties": {
    "v": {"const": "x\"y"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}}}},
    "$ref": "#/$defs/node"}
LISTS = {"type": ["array", "string"], "items": {"type": "array", "items": {"type": "number"}}}
SCHEMAS = {"person": PERSON, "tree": TREE, "lists": LISTS, "any": {}, "object": {"type": "object"}}
THREE_DIGIT_EXPONENT = re.compile(r"e[+-]?\d{3}")
ALPHABET = "".join(chr(c) for c in range(32, 127)) + "\n\té"
"""What the walk may write: the model's vocabulary is printable ASCII and newline."""


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True)


def valid(text: str, schema) -> bool:
    try:
        jsonschema.validate(json.loads(text), schema)
    except (ValueError, jsonschema.ValidationError):
        return False
    return True


def walk(matcher: Matcher, rng: np.random.Generator, limit: int = 300) -> str:
    """A random answer of the grammar: random characters that keep it alive, ending when it may."""
    states, text = matcher.start(), ""
    while len(text) < limit:
        if matcher.can_end(states) and rng.random() < 0.3:
            return text
        live = [ch for ch in ALPHABET if matcher.step(states, ch)]
        if not live:
            assert matcher.can_end(states), text  # a state with no way on must be an end
            return text
        ch = live[int(rng.integers(len(live)))]
        states, text = matcher.step(states, ch), text + ch
    return ""


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_random_answer_of_the_grammar_validates_and_round_trips(name):
    schema = SCHEMAS[name]
    matcher, rng, ended = Matcher(compile_schema(schema)), np.random.default_rng(7), 0
    for _ in range(120):
        text = walk(matcher, rng, limit=160)
        if not text:
            continue
        ended += 1
        assert valid(text, schema), text
        again = compact(json.loads(text))  # the same value as json writes it ...
        if not THREE_DIGIT_EXPONENT.search(again):  # ... unless as 7.7e+100 (the grammar: 77e99)
            assert matcher.matches(again), text
    assert ended >= 60


@settings(max_examples=200, deadline=None, database=None)
@given(name=st.sampled_from(sorted(SCHEMAS)), seed=st.integers(0, 2**32 - 1),
       edits=st.lists(st.tuples(st.integers(0, 400), st.sampled_from(ALPHABET + "!"),
                                st.sampled_from(["insert", "delete", "replace"])), min_size=1, max_size=3))
def test_a_near_miss_is_accepted_only_when_it_is_still_valid(name, seed, edits):
    schema = SCHEMAS[name]
    matcher = Matcher(compile_schema(schema))
    text = list(walk(matcher, np.random.default_rng(seed), limit=160))
    for at, ch, how in edits:
        at = at % (len(text) + 1)
        if how == "insert":
            text.insert(at, ch)
        elif at < len(text):
            text[at: at + 1] = [] if how == "delete" else [ch]
    mutated = "".join(text)
    if matcher.matches(mutated):
        assert valid(mutated, schema), mutated


@pytest.mark.parametrize("text, accepted", [
    ('{"name":"bob","age":3}', True),
    ('{"name":"bob","age":-3,"tags":["a","\\u00e9"],"score":1.5e-3,"ok":false}', True),
    ('{"name":"b\\"\\n","age":0,"score":null}', True),
    ('{"age":3}', False),                         # a required key missing
    ('{"name":"","age":3}', False),               # minLength
    ('{"name":"bobbybob","age":3}', False),       # maxLength
    ('{"name":"b","age":3.5}', False),            # integer
    ('{"name":"b","age":03}', False),             # no leading zeros in JSON
    ('{"name":"b","age":3,"tags":[]}', False),    # minItems
    ('{"name":"b","age":3,"tags":["a","b","a"]}', False),  # maxItems
    ('{"name":"b","age":3,"tags":["c"]}', False),  # not in the enum
    ('{"name":"b","age":3,"extra":1}', False),    # additionalProperties: false
    ('{"name":"b","age":3} ', False),             # nothing after the answer
    ('{"name":"b","age":12345678901234567}', False),  # more digits than a double holds
])
def test_person_answers(text, accepted):
    assert Matcher(compile_schema(PERSON)).matches(text) is accepted
    if accepted:
        assert valid(text, PERSON)


@pytest.mark.parametrize("kind", ["integer", "number", "string", "boolean", "null", ["string", "null"]])
def test_enum_values_of_another_type_are_never_written(kind):
    values = [1, 2.0, 2.5, "a", True, None, [1], {"k": 1}]
    schema = {"type": kind, "enum": values}
    matcher = Matcher(compile_schema(schema))
    for value in values:
        assert matcher.matches(compact(value)) == valid(compact(value), schema), (kind, value)


def test_json_object_mode_takes_any_object_and_nothing_else():
    matcher = Matcher(any_object())
    assert matcher.matches('{"a":[1,-2.5e+3,{"b":null}],"c":"x","d":true}') and matcher.matches("{}")
    assert not matcher.matches("[1]") and not matcher.matches('"x"') and not matcher.matches('{"a":}')


@pytest.mark.parametrize("schema, path, words", [
    ({"type": "string", "pattern": "^a$"}, "", "the schema itself: 'pattern' is not supported"),
    ({"type": "object", "properties": {"n": {"type": "number", "minimum": 0}}}, "properties.n",
     "properties.n: 'minimum'"),
    ({"type": "object", "properties": {"a": {}}, "required": ["b"]}, "required", "'b' is required"),
    ({"$ref": "https://example.com/s.json"}, "$ref", "only local references"),
    ({"$ref": "#/$defs/missing"}, "$ref", "does not exist"),
    ({"$defs": {"a": {"anyOf": [{"$ref": "#/$defs/a"}, {"type": "null"}]}}, "$ref": "#/$defs/a"},
     "$ref", "refers to itself"),
    ({"enum": []}, "enum", "non-empty array"),
    ({"type": "array", "minItems": 3, "maxItems": 2}, "maxItems", "below minItems"),
    ({"type": "date"}, "type", "unknown type 'date'"),
    ({"oneOf": [{"type": "string"}, {"type": "null"}]}, "oneOf", "use anyOf"),
    ({"enum": list(range(600))}, "enum", "at most 512"),
    ({"anyOf": [{"type": "string"}], "properties": {"a": {}}}, "", "'properties' beside 'anyOf'"),
    ({"enum": ["a"], "const": "a"}, "", "'enum' beside 'const'"),
    ({"type": "string", "anyOf": [{"maxLength": 2}, {"minLength": 5}]}, "", "'type' beside 'anyOf'"),
    ({"type": "integer", "enum": ["a", 2.5, True]}, "enum", "no value is of type \"integer\""),
    ({"type": ["string", "null"], "const": 3}, "const", "no value is of type"),
])
def test_what_cannot_be_enforced_is_refused_with_its_path(schema, path, words):
    with pytest.raises(SchemaError) as caught:
        compile_schema(schema)
    assert caught.value.path == path and words in str(caught.value), str(caught.value)
