"""An upper bound on the prompt tokens an endpoint will bill for a chat request, before it is
sent: what `--max-cost` reserves and `--estimate` prices.

- The embedded endpoint: exact, with the server's own tokenizer and chat template.
- Any other endpoint: the UTF-8 bytes of every message's content, plus a per-message and a
  per-call allowance for the chat template. Byte-level BPE (GPT, DeepSeek, Llama 3, Qwen) and
  SentencePiece with byte fallback never make a token that covers less than one byte of the
  text, so a text of B bytes is at most B tokens, whatever it holds (digits, CJK, emoji); what
  a template adds (role markers, separators, a leading SentencePiece space, a BOS, a default
  system line such as Llama 3.1's dated header) is covered by the allowances.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

from pipelines.endpoints.config import EndpointConfig, load_embedded

TEMPLATE_TOKENS_PER_MESSAGE = 8
"""Role markers and separators around one message (Llama 3 uses 5, ChatML 4-5)."""
TEMPLATE_TOKENS_PER_CALL = 64
"""BOS, the assistant opener and a default system header the server may add (Llama 3.1's
dated header is about 25 tokens)."""

Messages = Sequence[Mapping[str, str]]
PromptTokenBound = Callable[[Messages], int]


def utf8_token_bound(messages: Messages) -> int:
    """At least as many tokens as any byte-level tokenizer makes of these messages."""
    return sum(len((m.get("content") or "").encode("utf-8")) + TEMPLATE_TOKENS_PER_MESSAGE
               for m in messages) + TEMPLATE_TOKENS_PER_CALL


def prompt_token_bound(config: EndpointConfig) -> PromptTokenBound:
    """The bound for `config`'s endpoint: exact where pipe has its tokenizer, else UTF-8 bytes."""
    if config.is_embedded:
        embedded = load_embedded()
        return lambda messages: embedded.prompt_tokens(list(messages))
    return utf8_token_bound
