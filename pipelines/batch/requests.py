"""Reading an OpenAI Batch input file: one `{custom_id, method, url, body}` request per line.

Every check runs before anything is sent. A bad line is reported with its line number; in
strict mode any bad line refuses the whole file, otherwise bad lines are set aside for the
job's error file. A custom_id used twice always refuses the file: outputs are keyed by it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Iterator, Sequence

from pipelines.errors import InputError
from pipelines.recipe.jsonl import KeyBits, numbered_lines
from pipelines.types import ChatRequest

CHAT_URL = "/v1/chat/completions"
SUPPORTED_URLS = (CHAT_URL,)
LINE_KEYS = frozenset({"custom_id", "method", "url", "body"})
ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
UNRETURNABLE = {
    "stream": "batch outputs are whole responses; drop `stream`",
    "tools": "tool calls are not returned by pipe batch; drop `tools`",
    "tool_choice": "tool calls are not returned by pipe batch; drop `tool_choice`",
    "functions": "function calls are not returned by pipe batch; drop `functions`",
    "function_call": "function calls are not returned by pipe batch; drop `function_call`",
    "logprobs": "logprobs are not returned by pipe batch; drop `logprobs`",
    "top_logprobs": "logprobs are not returned by pipe batch; drop `top_logprobs`",
}
"""Body fields whose output the concurrent executor cannot return, with the fix."""
MAX_SHOWN = 20


@dataclass(frozen=True)
class BatchRequest:
    """One valid input line."""

    custom_id: str
    line: int
    url: str
    body: dict[str, Any]

    @property
    def model(self) -> str:
        return self.body["model"]

    def chat_request(self) -> ChatRequest:
        params = {k: v for k, v in self.body.items() if k not in ("model", "messages")}
        return ChatRequest(model=self.model, messages=tuple(self.body["messages"]),
                           params=params, request_id=self.custom_id)

    def wire_line(self) -> dict[str, Any]:
        return {"custom_id": self.custom_id, "method": "POST", "url": self.url, "body": self.body}


@dataclass(frozen=True)
class Rejected:
    """An input line that cannot be sent."""

    line: int
    custom_id: str | None
    message: str

    def __str__(self) -> str:
        who = f" (custom_id {self.custom_id!r})" if self.custom_id else ""
        return f"line {self.line}{who}: {self.message}"

    def located(self, where: str) -> str:
        """`file:line: message (custom_id ...)`."""
        who = f" (custom_id {self.custom_id!r})" if self.custom_id else ""
        return f"{where}:{self.line}: {self.message}{who}"


@dataclass
class ParsedInput:
    requests: Sequence[BatchRequest] | FileRequests = field(default_factory=list)
    """A list, or for a file the `FileRequests` that read it again on every pass."""
    rejected: list[Rejected] = field(default_factory=list)


class BadLine(ValueError):
    """Why one line cannot be sent; the message says how to fix it."""


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise BadLine("body.messages must be a non-empty list of {role, content}")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise BadLine(f"body.messages[{i}] needs a role, one of {sorted(ROLES)}")
        if not isinstance(m.get("content"), (str, list)):
            raise BadLine(f"body.messages[{i}].content must be text or a list of content parts")


def _check_limits(body: dict[str, Any]) -> None:
    for key in ("max_tokens", "max_completion_tokens"):
        value = body.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise BadLine(f"body.{key} must be a positive integer, got {value!r}")
    n = body.get("n", 1)
    if n != 1:
        raise BadLine(f"body.n is {n!r}; pipe batch returns one choice per request: give each "
                      "sample its own line and custom_id (with its own seed)")
    for key, fix in UNRETURNABLE.items():
        if body.get(key) not in (None, False):
            raise BadLine(f"body.{key} is not supported; {fix}")


def check_chat_body(body: Any) -> None:
    """Raise BadLine if `body` is not a chat-completion request pipe batch can send."""
    if not isinstance(body, dict):
        raise BadLine("body must be a JSON object (the request body for the url)")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise BadLine("body.model is missing; name the model, e.g. \"model\": \"moe-tiny\"")
    _check_messages(body.get("messages"))
    _check_limits(body)


def parse_line(text: str, lineno: int) -> BatchRequest:
    """One input line -> BatchRequest, or BadLine saying what is wrong."""
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(row, dict):
        raise BadLine("expected a JSON object {custom_id, method, url, body}")
    unknown = sorted(set(row) - LINE_KEYS)
    if unknown:
        raise BadLine(f"unknown key(s) {unknown}; a line has only {sorted(LINE_KEYS)}")
    custom_id = row.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id.strip():
        raise BadLine("custom_id must be a non-empty string")
    if row.get("method", "POST") != "POST":
        raise BadLine(f"method must be \"POST\", got {row.get('method')!r}")
    url = row.get("url")
    if url not in SUPPORTED_URLS:
        raise BadLine(f"url {url!r} is not supported; use one of {list(SUPPORTED_URLS)}")
    check_chat_body(row.get("body"))
    return BatchRequest(custom_id=custom_id, line=lineno, url=url, body=row["body"])


def _custom_id_of(text: str) -> str | None:
    """The custom_id of a bad line, when one can still be read (for the error file)."""
    try:
        row = json.loads(text)
    except json.JSONDecodeError:
        return None
    cid = row.get("custom_id") if isinstance(row, dict) else None
    return cid if isinstance(cid, str) and cid.strip() else None


def _refuse_duplicates(where: str, seen: dict[str, list[int]]) -> None:
    dups = {cid: lines for cid, lines in seen.items() if len(lines) > 1}
    if not dups:
        return
    shown = [f"  custom_id {cid!r} on lines {', '.join(map(str, lines))}"
             for cid, lines in list(dups.items())[:MAX_SHOWN]]
    more = f"\n  ... and {len(dups) - MAX_SHOWN} more" if len(dups) > MAX_SHOWN else ""
    raise InputError(f"{where}: {len(dups)} custom_id(s) used more than once; nothing was sent:\n"
                     + "\n".join(shown) + more
                     + "\n    fix: give every line its own custom_id (outputs are keyed by it)")


def _refuse_rejected(where: str, rejected: list[Rejected]) -> None:
    shown = [f"  {r.located(where)}" for r in rejected[:MAX_SHOWN]]
    more = f"\n  ... and {len(rejected) - MAX_SHOWN} more" if len(rejected) > MAX_SHOWN else ""
    raise InputError(f"{where}: {len(rejected)} bad line(s); --strict refuses the file, nothing "
                     "was sent:\n" + "\n".join(shown) + more
                     + "\n    fix: correct those lines, or drop --strict to skip them into the "
                     "error file")


def parse_batch_file(path: str | Path, *, strict: bool = False) -> ParsedInput:
    """Read and validate an OpenAI Batch JSONL file, in one streaming pass (a second over the
    custom_ids that may repeat): its requests are a `FileRequests`, not a list, so a
    million-line file is never held whole."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: batch input file not found (fix: check the path)")
    where, rejected, valid = str(path), [], 0
    ids = KeyBits(path.stat().st_size)
    for lineno, text in _lines(path):
        try:
            cid = parse_line(text, lineno).custom_id
            valid += 1
        except BadLine as exc:
            cid = _custom_id_of(text)
            rejected.append(Rejected(lineno, cid, str(exc)))
        if cid is not None:
            ids.add(cid)
    _refuse_duplicates(where, _repeated(path, ids) if ids.clashes else {})
    if strict and rejected:
        _refuse_rejected(where, rejected)
    if not valid:
        detail = f"; first problem: {rejected[0]}" if rejected else " (it is empty)"
        raise InputError(f"{where}: no request can be sent{detail}")
    return ParsedInput(FileRequests(path, valid, frozenset(r.line for r in rejected)), rejected)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of the file's non-blank lines."""
    for lineno, raw in numbered_lines(path):
        try:
            yield lineno, raw.decode("utf-8").removesuffix("\n").removesuffix("\r")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}:{lineno}: not UTF-8 text ({exc.reason}); "
                             "fix: save it as UTF-8 JSONL") from None


def _repeated(path: Path, ids: KeyBits) -> dict[str, list[int]]:
    """custom_id -> its lines, for the ids whose hash slot was taken twice."""
    seen: dict[str, list[int]] = {}
    for lineno, text in _lines(path):
        cid = _custom_id_of(text)
        if cid is not None and ids.clashed(cid):
            seen.setdefault(cid, []).append(lineno)
    return seen


class FileRequests:
    """The valid requests of a checked Batch JSONL file, read again from the file on every
    pass. A line that no longer parses (the file changed since it was checked) raises
    InputError, so a submission reading it rolls back whole."""

    def __init__(self, path: Path, count: int, bad_lines: frozenset[int]):
        self.path, self.count, self.bad_lines = path, count, bad_lines

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> BatchRequest:
        """The index-th request (read from the file up to it)."""
        position = index + self.count if index < 0 else index
        if not 0 <= position < self.count:
            raise IndexError(f"request {index} of {self.count}")
        return next(islice(iter(self), position, None))

    def __iter__(self) -> Iterator[BatchRequest]:
        read = 0
        for lineno, text in _lines(self.path):
            if lineno in self.bad_lines:
                continue
            try:
                yield parse_line(text, lineno)
            except BadLine as exc:
                raise InputError(f"{self.path}:{lineno}: {exc}; the file changed while it was "
                                 "being submitted; nothing was stored (fix: submit it again)"
                                 ) from None
            read += 1
        if read != self.count:
            raise InputError(f"{self.path}: has {read} requests now, {self.count} when it was "
                             "checked; nothing was stored (fix: submit it again)")
