"""A JSON schema compiled into a small grammar of nodes the matcher walks one character at a time.

The subset is what OpenAI's structured outputs accept, less the keywords a character grammar
cannot hold (numeric bounds, patterns, formats): those are refused by `SchemaError`, never
ignored, so an answer that matches the grammar always validates against the schema.

Output is compact JSON: no whitespace between tokens, object keys in the schema's order (an
optional key may be left out). Compact output keeps a small model from spending its budget on
indentation and from looping on spaces.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from moe.errors import MoEInputError

SUPPORTED = ("type", "properties", "required", "additionalProperties", "items", "enum", "const",
             "anyOf", "oneOf", "$ref", "$defs", "definitions", "minItems", "maxItems", "minLength",
             "maxLength")
"""Keywords that constrain the answer and are enforced."""
ANNOTATIONS = frozenset(("title", "description", "default", "examples", "$schema", "$id", "$comment",
                         "strict", "deprecated", "readOnly", "writeOnly"))
"""Keywords that only describe: accepted and left out of the grammar."""
MAX_ALTERNATIVES = 512
"""Enum values and anyOf branches per node at most (each is a state the matcher may hold)."""


class SchemaError(MoEInputError):
    """A schema this server cannot hold an answer to; `path` is the JSON path of the culprit."""

    def __init__(self, path: str, message: str):
        self.path = path.lstrip(".")
        """Where in the schema, e.g. `properties.zip` ('' for the schema itself)."""
        super().__init__(f"{self.path or 'the schema itself'}: {message}")


# -- nodes: identity-hashed, so a matcher state is a tuple of (node, data) frames ---------------
@dataclass(eq=False, frozen=True)
class Lit:
    """Exactly this text."""
    text: str


@dataclass(eq=False, frozen=True)
class Str:
    """A JSON string of min_len..max_len characters (an escape counts as one)."""
    min_len: int = 0
    max_len: int | None = None


@dataclass(eq=False, frozen=True)
class Num:
    """A JSON number; `integer`: no fraction or exponent."""
    integer: bool = False


@dataclass(eq=False, frozen=True)
class Seq:
    items: tuple


@dataclass(eq=False, frozen=True)
class Alt:
    options: tuple


@dataclass(eq=False, frozen=True)
class Items:
    """The inside of `[...]` or `{...}`: min..max `item`s separated by commas, then `close`."""
    item: Any
    close: Lit
    min: int = 0
    max: int | None = None

    @functools.cached_property
    def later(self) -> Seq:
        """A comma, then the next item."""
        return Seq((COMMA, self.item))


@dataclass(eq=False, frozen=True)
class Prop:
    first: Lit
    """`"key":`, when no key was written before it."""
    later: Lit
    """`,"key":`."""
    value: Any
    required: bool

    @functools.cached_property
    def as_first(self) -> Seq:
        return Seq((self.first, self.value))

    @functools.cached_property
    def as_later(self) -> Seq:
        return Seq((self.later, self.value))


@dataclass(eq=False, frozen=True)
class Props:
    """The inside of an object with known keys, written in this order, then `}`."""
    props: tuple[Prop, ...]


@dataclass(eq=False)
class Ref:
    """A `$ref`, resolved after compiling (it may point at a node being compiled)."""
    target: Any = None


COMMA, CLOSE_ARRAY, CLOSE_OBJECT = Lit(","), Lit("]"), Lit("}")


def array(item: Any, min_items: int = 0, max_items: int | None = None) -> Seq:
    return Seq((Lit("["), Items(item, CLOSE_ARRAY, min_items, max_items)))


def any_value() -> Alt:
    """Any JSON value (what `{}` and `json_object`'s members allow)."""
    value = Ref()
    member = Seq((Str(), Lit(":"), value))
    value.target = Alt((Str(), Num(), Lit("true"), Lit("false"), Lit("null"), array(value),
                        Seq((Lit("{"), Items(member, CLOSE_OBJECT))),))
    return value.target


@functools.cache
def any_object() -> Seq:
    """`{"type": "json_object"}`: any JSON object (one grammar, so its requests share a matcher)."""
    member = Seq((Str(), Lit(":"), any_value()))
    return Seq((Lit("{"), Items(member, CLOSE_OBJECT)))


# -- compiling ---------------------------------------------------------------------------------
@dataclass
class _Compiler:
    root: dict
    refs: dict[str, Ref] = field(default_factory=dict)
    """Resolved `$ref`s by pointer, so a recursive schema compiles to a cycle."""

    def node(self, schema: Any, path: str) -> Any:
        if schema is True or schema == {}:
            return any_value()
        if not isinstance(schema, dict):
            raise SchemaError(path, f"a schema must be an object, got {json.dumps(schema)[:40]}")
        unknown = sorted(k for k in schema if k not in SUPPORTED and k not in ANNOTATIONS)
        if unknown:
            raise SchemaError(path, f"{unknown[0]!r} is not supported by constrained decoding; remove "
                              f"it (supported: {', '.join(SUPPORTED)})")
        self.alone(schema, path)
        if "$ref" in schema:
            return self.ref(schema["$ref"], path)
        if "const" in schema:
            return self.enum([schema["const"]], path, schema.get("type"), "const")
        if "enum" in schema:
            return self.enum(schema["enum"], path, schema.get("type"))
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self.any_of(schema[key], f"{path}.{key}", exclusive=key == "oneOf")
        return self.typed(schema, path)

    @staticmethod
    def alone(schema: dict, path: str) -> None:
        """`$ref`, `const`, `enum` and `anyOf` decide the answer by themselves: a constraint
        beside them (other than `type`) would go unenforced, so it is refused."""
        deciding = [k for k in ("$ref", "const", "enum", "anyOf", "oneOf") if k in schema]
        typed = deciding[:1] in (["const"], ["enum"])  # their values are checked against `type`
        beside = [k for k in schema if k in SUPPORTED and k not in ("$defs", "definitions")
                  and not (typed and k == "type")]
        if deciding and len(beside) > 1:
            extra = next(k for k in beside if k != deciding[0])
            raise SchemaError(path, f"{extra!r} beside {deciding[0]!r} is not supported; move it into "
                              f"the {deciding[0]!r} branch")

    def typed(self, schema: dict, path: str) -> Any:
        kind = schema.get("type")
        if isinstance(kind, list):
            return _alt([self.typed({**schema, "type": k}, path) for k in kind], path)
        builders = {"object": self.object, "array": self.array, "string": self.string,
                    "integer": lambda s, p: Num(integer=True), "number": lambda s, p: Num(),
                    "boolean": lambda s, p: Alt((Lit("true"), Lit("false"))),
                    "null": lambda s, p: Lit("null")}
        if kind is None:
            if "properties" in schema:
                return self.object(schema, path)
            if "items" in schema:
                return self.array(schema, path)
            return any_value()
        if kind not in builders:
            raise SchemaError(f"{path}.type", f"unknown type {kind!r}; use one of {', '.join(builders)}")
        return builders[kind](schema, path)

    def object(self, schema: dict, path: str) -> Any:
        properties = schema.get("properties")
        if properties is None:
            return any_object()
        if not isinstance(properties, dict):
            raise SchemaError(f"{path}.properties", "must be an object of schemas")
        required = schema.get("required", [])
        if not isinstance(required, list) or not all(isinstance(k, str) for k in required):
            raise SchemaError(f"{path}.required", "must be an array of property names")
        missing = [k for k in required if k not in properties]
        if missing:
            raise SchemaError(f"{path}.required", f"{missing[0]!r} is required but not in properties")
        props = tuple(Prop(Lit(f"{_literal(key)}:"), Lit(f",{_literal(key)}:"),
                           self.node(sub, f"{path}.properties.{key}"), key in required)
                      for key, sub in properties.items())
        return Seq((Lit("{"), Props(props)))

    def array(self, schema: dict, path: str) -> Any:
        low, high = _bounds(schema, "minItems", "maxItems", path)
        return array(self.node(schema.get("items", {}), f"{path}.items"), low, high)

    def string(self, schema: dict, path: str) -> Any:
        low, high = _bounds(schema, "minLength", "maxLength", path)
        return Str(low, high)

    def enum(self, values: Any, path: str, kind: Any = None, keyword: str = "enum") -> Any:
        """The listed values that are also of `type` (when given), as literals."""
        if not isinstance(values, list) or not values:
            raise SchemaError(f"{path}.enum", "must be a non-empty array")
        kinds = kind if isinstance(kind, list) else [kind]
        kept = [v for v in values if kind is None or any(_is_of_type(v, k) for k in kinds)]
        if not kept:
            raise SchemaError(f"{path}.{keyword}", f"no value is of type {json.dumps(kind)}, so no answer "
                              f"could validate; fix the values or the type")
        return _alt([Lit(_literal(v)) for v in kept], f"{path}.{keyword}")

    def any_of(self, options: Any, path: str, exclusive: bool) -> Any:
        if not isinstance(options, list) or not options:
            raise SchemaError(path, "must be a non-empty array of schemas")
        if exclusive and len(options) > 1:  # an answer matching two branches would break oneOf
            raise SchemaError(path, "oneOf with more than one branch is not supported; use anyOf")
        return _alt([self.node(s, f"{path}[{i}]") for i, s in enumerate(options)], path)

    def ref(self, pointer: Any, path: str) -> Ref:
        if not isinstance(pointer, str) or not pointer.startswith("#"):
            raise SchemaError(f"{path}.$ref", f"only local references ('#/$defs/Name') are supported, "
                              f"got {pointer!r}")
        if pointer in self.refs:
            return self.refs[pointer]
        ref = self.refs[pointer] = Ref()
        ref.target = self.node(_resolve(self.root, pointer, path), pointer)
        if _reaches_itself(ref):
            raise SchemaError(f"{path}.$ref", f"{pointer} refers to itself with no object or array in "
                              "between, so no answer can end")
        return ref


def compile_schema(schema: Any) -> Any:
    """The grammar of a JSON schema (raises SchemaError naming the first unsupported part)."""
    return _Compiler(schema if isinstance(schema, dict) else {}).node(schema, "")


def _is_of_type(value: Any, kind: str) -> bool:
    """JSON Schema's type test: a bool is no number, and 2.0 is an integer."""
    if isinstance(value, bool):
        return kind == "boolean"
    if isinstance(value, (int, float)):
        return kind == "number" or (kind == "integer" and float(value).is_integer())
    tests = {"string": str, "array": list, "object": dict, "null": type(None)}
    return kind in tests and isinstance(value, tests[kind])


def _literal(value: Any) -> str:
    """The compact JSON text of a value; non-ASCII written as \\u escapes (the vocabulary is ASCII)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True)


def _alt(options: list, path: str) -> Any:
    if len(options) > MAX_ALTERNATIVES:
        raise SchemaError(path, f"{len(options)} alternatives; at most {MAX_ALTERNATIVES} are supported")
    return options[0] if len(options) == 1 else Alt(tuple(options))


def _bounds(schema: dict, low_key: str, high_key: str, path: str) -> tuple[int, int | None]:
    low, high = schema.get(low_key, 0), schema.get(high_key)
    for key, value in ((low_key, low), (high_key, high)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise SchemaError(f"{path}.{key}", f"must be a non-negative integer, got {value!r}")
    if high is not None and high < low:
        raise SchemaError(f"{path}.{high_key}", f"{high_key} {high} is below {low_key} {low}")
    return low, high


def _resolve(root: dict, pointer: str, path: str) -> Any:
    node: Any = root
    for part in pointer[1:].split("/")[1:] if pointer != "#" else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise SchemaError(f"{path}.$ref", f"{pointer} does not exist in the schema")
        node = node[part]
    return node


def _reaches_itself(ref: Ref) -> bool:
    """Whether `ref` can expand to itself before consuming a character (an endless expansion)."""
    seen: set[int] = set()
    todo = [ref.target]
    while todo:
        node = todo.pop()
        if node is ref:
            return True
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Ref):
            todo.append(node.target)
        elif isinstance(node, Alt):
            todo.extend(node.options)
        elif isinstance(node, Seq) and node.items:
            todo.append(node.items[0])
    return False
