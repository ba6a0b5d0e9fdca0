"""The model's tokenizer: a small BPE (`tokenizers` library) trained by the project, plus a chat template.

Digits are always single tokens (the pre-tokenizer isolates them), so arithmetic stays
digit-aligned, while the fixed prompt text (headers, separators, `\\boxed{`) collapses into a
few tokens: an aggregation prompt with four candidates costs ~4x fewer tokens than per character.
Special tokens are never produced from text: user text that spells `<|user|>` stays plain text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping, Sequence

from tokenizers import Tokenizer as HFTokenizer
from tokenizers import models, pre_tokenizers, trainers

from moe.errors import MoEInputError

SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>", "<|system|>", "<|user|>", "<|assistant|>")
ROLES = ("system", "user", "assistant")
ALPHABET = ["\n"] + [chr(c) for c in range(32, 127)]
"""Every printable ASCII character is a token, so any ASCII text encodes without <unk>."""
UNKNOWN_TEXT = "\ufffd"


class Tokenizer:
    """Text <-> token ids for the MoE model."""

    def __init__(self, hf: HFTokenizer):
        vocab = hf.get_vocab()
        missing = [s for s in SPECIALS if s not in vocab]
        if missing:
            raise MoEInputError(f"tokenizer lacks special tokens {missing}; retrain it with Tokenizer.train")
        hf.encode_special_tokens = True  # text never turns into control tokens
        self._hf = hf
        self._id_text = [""] * len(vocab)
        for text, i in vocab.items():
            self._id_text[i] = text
        self.specials = {vocab[s] for s in SPECIALS}
        self.pad_id, self.bos_id, self.eos_id, self.unk_id = (vocab[s] for s in SPECIALS[:4])
        self.role_ids = {r: vocab[f"<|{r}|>"] for r in ROLES}

    @property
    def vocab_size(self) -> int:
        return len(self._id_text)

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int) -> "Tokenizer":
        """A BPE over `texts` whose pre-tokenizer keeps every digit a token of its own."""
        hf = HFTokenizer(models.BPE(unk_token="<unk>"))
        hf.pre_tokenizer = pre_tokenizers.Digits(individual_digits=True)
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIALS),
                                      initial_alphabet=ALPHABET, limit_alphabet=len(ALPHABET),
                                      show_progress=False)
        hf.train_from_iterator(texts, trainer)
        return cls(hf)

    def encode(self, text: str) -> list[int]:
        return self._hf.encode(text, add_special_tokens=False).ids

    def token_text(self, token_id: int) -> str:
        """The text one id contributes to `decode` (so decode is the join of these pieces)."""
        if token_id not in self.specials:
            return self._id_text[token_id]
        return UNKNOWN_TEXT if token_id == self.unk_id else ""

    def decode(self, ids: Sequence[int]) -> str:
        """Text of `ids`; special tokens vanish, unknown characters read as U+FFFD."""
        out = []
        for i in ids:
            i = int(i)
            if i not in self.specials:
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
                raise MoEInputError(f"messages[{i}].role={role!r} is not supported; use one of {list(ROLES)}")
            content = message.get("content")
            if not isinstance(content, str):
                raise MoEInputError(f"messages[{i}].content must be a string, got {type(content).__name__}")
            ids.append(self.role_ids[role])
            ids.extend(self.encode(content))
            ids.append(self.eos_id)
        if add_generation_prompt:
            ids.append(self.role_ids["assistant"])
        return ids

    def save(self, path: str | Path) -> None:
        self._hf.save(str(path))

    @classmethod
    def load(cls, path: str | Path) -> "Tokenizer":
        try:
            return cls(HFTokenizer.from_file(str(path)))
        except Exception as exc:  # tokenizers raises plain Exceptions for bad files
            raise MoEInputError(f"{path}: cannot read tokenizer ({exc}); expected moe/weights/tokenizer.json") from exc
