"""Character-level tokenizer defined by the project, with a chat template.

A tiny fixed vocabulary (newline + printable ASCII + a few special tokens) keeps the
embedding small and makes arithmetic digit-aligned, which is what the model is trained on.
Special tokens are never produced by `encode`: text that spells `<|user|>` stays plain text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

from pipelines.errors import InputError

SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>", "<|system|>", "<|user|>", "<|assistant|>")
ROLES = ("system", "user", "assistant")
DEFAULT_CHARS = "\n" + "".join(chr(c) for c in range(32, 127))
UNKNOWN_TEXT = "\ufffd"


class Tokenizer:
    """Maps text to token ids one character at a time."""

    def __init__(self, chars: str = DEFAULT_CHARS, specials: Sequence[str] = SPECIALS):
        if len(set(chars)) != len(chars):
            raise InputError("tokenizer chars contain duplicates; each character must appear once")
        missing = [s for s in SPECIALS if s not in specials]
        if missing:
            raise InputError(f"tokenizer specials lack {missing}; they are required by the chat template")
        self.specials = tuple(specials)
        self.chars = chars
        self._special_ids = {s: i for i, s in enumerate(self.specials)}
        self._char_ids = {c: i + len(self.specials) for i, c in enumerate(chars)}
        self._id_text = list(self.specials) + list(chars)
        self.pad_id = self._special_ids["<pad>"]
        self.bos_id = self._special_ids["<bos>"]
        self.eos_id = self._special_ids["<eos>"]
        """End of turn: generation stops here."""
        self.unk_id = self._special_ids["<unk>"]
        self.role_ids = {r: self._special_ids[f"<|{r}|>"] for r in ROLES}

    @property
    def vocab_size(self) -> int:
        return len(self._id_text)

    def encode(self, text: str) -> list[int]:
        get = self._char_ids.get
        return [get(c, self.unk_id) for c in text]

    def decode(self, ids: Sequence[int]) -> str:
        """Text of `ids`; special tokens vanish, unknown characters read as U+FFFD."""
        n_special = len(self.specials)
        out = []
        for i in ids:
            i = int(i)
            if i >= n_special:
                out.append(self._id_text[i])
            elif i == self.unk_id:
                out.append(UNKNOWN_TEXT)
        return "".join(out)

    def apply_chat_template(
        self, messages: Sequence[Mapping[str, str]], add_generation_prompt: bool = True
    ) -> list[int]:
        """`<bos>` then `<|role|>content<eos>` per turn, then the `<|assistant|>` opener."""
        ids = [self.bos_id]
        for i, message in enumerate(messages):
            role = message.get("role")
            if role not in self.role_ids:
                raise InputError(
                    f"messages[{i}].role={role!r} is not supported; use one of {list(ROLES)}"
                )
            content = message.get("content")
            if not isinstance(content, str):
                raise InputError(f"messages[{i}].content must be a string, got {type(content).__name__}")
            ids.append(self.role_ids[role])
            ids.extend(self.encode(content))
            ids.append(self.eos_id)
        if add_generation_prompt:
            ids.append(self.role_ids["assistant"])
        return ids

    def to_dict(self) -> dict:
        return {"type": "char", "specials": list(self.specials), "chars": self.chars}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "Tokenizer":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: cannot read tokenizer ({exc}); expected moe/weights/tokenizer.json") from exc
        if data.get("type") != "char":
            raise InputError(f"{path}: tokenizer type {data.get('type')!r} is not 'char'")
        return cls(chars=data["chars"], specials=data["specials"])
