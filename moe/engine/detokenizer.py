"""Incremental detokenization with stop strings held back until they can no longer match."""

from __future__ import annotations

from typing import Protocol, Sequence

_INCOMPLETE = "\ufffd"  # what a byte-level decoder yields for a cut multi-byte character


class Decoder(Protocol):
    def decode(self, ids: Sequence[int]) -> str: ...


class PieceDecoder(Decoder, Protocol):
    """A decoder whose text is the concatenation of one fixed piece per token (no byte-level
    merges across tokens), so a new token's text never changes the text before it."""

    def token_text(self, token_id: int) -> str: ...


class TextTracker:
    """Turns a growing list of token ids into text deltas, cutting at the first stop string.

    Decodes only a short window of recent tokens per step (offsets as in vLLM), so the cost per
    token stays constant however long the output grows; a `PieceDecoder` skips even that.
    """

    def __init__(self, decoder: Decoder, stop: Sequence[str] = ()):
        self._decoder = decoder
        self._stop = tuple(s for s in stop if s)
        self._longest_stop = max((len(s) for s in self._stop), default=0)
        self._ids: list[int] = []
        self._prefix_offset = 0
        self._read_offset = 0
        self.text = ""
        """All text decoded so far (cut at a stop string once one matched)."""
        self.emitted = 0
        """How much of `text` has been handed out as deltas."""
        self.stopped = False
        self._piece = getattr(decoder, "token_text", None)

    def add(self, token_id: int, final: bool = False) -> None:
        """Append one generated token; sets `stopped` when a stop string appears.

        Text ending in a replacement character may be a cut multi-byte character: it waits for
        the next token unless this is the last one.
        """
        if self._piece is not None:  # the fast path: text grows by the token's own piece
            start = max(len(self.text) - self._longest_stop + 1, 0)
            self.text += self._piece(token_id)
            self._check_stop(start)
            return
        self._ids.append(token_id)
        self._decode(final)

    def add_final(self) -> None:
        """No more tokens come (end of sequence): flush text held for a next token."""
        if self._read_offset < len(self._ids):
            self._decode(final=True)

    def _decode(self, final: bool) -> None:
        window = self._decoder.decode(self._ids[self._prefix_offset :])
        if window.endswith(_INCOMPLETE) and not final:
            return
        head = self._decoder.decode(self._ids[self._prefix_offset : self._read_offset])
        start = max(len(self.text) - self._longest_stop + 1, 0)  # a match must use new text
        self.text += window[len(head) :]
        self._prefix_offset = self._read_offset
        self._read_offset = len(self._ids)
        self._check_stop(start)

    def _check_stop(self, start: int) -> None:
        cut = min((p for s in self._stop if (p := self.text.find(s, start)) >= 0), default=-1)
        if cut >= 0:
            self.text = self.text[:cut]
            self.stopped = True

    def delta(self, final: bool) -> str:
        """Text not handed out yet; keeps back a tail that could still grow into a stop string."""
        hold = 0 if (final or self.stopped) else max(self._longest_stop - 1, 0)
        end = max(len(self.text) - hold, self.emitted)
        out = self.text[self.emitted : end]
        self.emitted = end
        return out
