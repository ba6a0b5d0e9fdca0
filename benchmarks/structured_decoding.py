"""What holding answers to a JSON schema costs the embedded engine (`response_format`).

    python benchmarks/structured_decoding.py [--batch 8 32] [--random]

For each batch size, the same engine decodes the same prompt, sampled (T=1), two ways side by
side: a `json_schema` answer (an object with an integer, a boolean and eight strings of twelve
characters, so every choice ends near the same length), then free text for the same number of
tokens per choice (the baseline). The table gives decode tokens/s, ms per token and the ratio
to free text, and checks every constrained answer with jsonschema. Uses the shipped weights
unless --random; BLAS on one thread, as the server runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jsonschema  # noqa: E402  (after the path fix)

from moe.engine import EngineConfig, LLMEngine, SamplingParams  # noqa: E402
from moe.inference import MoEModel, single_blas_thread  # noqa: E402
from moe.structured import compile_schema  # noqa: E402

SCHEMA = {"type": "object", "required": ["answer", "sure", "steps"], "additionalProperties": False,
          "properties": {"answer": {"type": "integer"}, "sure": {"type": "boolean"},
                         "steps": {"type": "array", "minItems": 8, "maxItems": 8,
                                   "items": {"type": "string", "minLength": 12, "maxLength": 12}}}}
MAX_TOKENS = 400


def decode(model: MoEModel, grammar, batch: int, tokens: int) -> tuple[float, int, list[tuple[str, str]]]:
    """(seconds decoding, tokens generated, (text, finish reason) per choice)."""
    engine = LLMEngine(model, EngineConfig(max_num_seqs=max(batch, 8)))
    ids = model.tokenizer.apply_chat_template([{"role": "user", "content": "Compute 3+4*2. Reply in JSON."}])
    params = SamplingParams(max_tokens=tokens, temperature=1.0, n=batch, seed=7, grammar=grammar,
                            ignore_eos=grammar is None)
    engine.add(engine.make_request(ids, params))
    texts, reasons, generated = [""] * batch, [""] * batch, 0
    began = time.perf_counter()
    while engine.has_work():
        for out in engine.step():
            for delta in out.deltas:
                texts[delta.index] += delta.text
                reasons[delta.index] = delta.finish_reason or reasons[delta.index]
                generated += len(delta.token_ids)
    return time.perf_counter() - began, generated, list(zip(texts, reasons))


def valid_share(answers: list[tuple[str, str]]) -> str:
    ok = 0
    for text, reason in answers:
        try:
            jsonschema.validate(json.loads(text), SCHEMA)
            ok += reason == "stop"
        except (ValueError, jsonschema.ValidationError):
            pass
    return f"{ok}/{len(answers)} ended valid"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--random", action="store_true", help="an untrained model of the shipped shape")
    args = ap.parse_args(argv)
    model = MoEModel.random(MoEModel.load().config, seed=0) if args.random else MoEModel.load()
    print(f"{'batch':>5} {'decoding':<12} {'tokens':>6} {'tok/s':>7} {'ms/tok':>7} {'vs free':>7}  answers")
    with single_blas_thread():
        decode(model, None, 2, 4)  # warm the BLAS and the code paths
        for batch in args.batch:
            seconds, generated, answers = decode(model, compile_schema(SCHEMA), batch, MAX_TOKENS)
            free_seconds, free_generated, _ = decode(model, None, batch, round(generated / batch))
            free = free_generated / free_seconds
            for kind, rate, count, note in (("free text", free, free_generated, ""),
                                            ("json_schema", generated / seconds, generated,
                                             valid_share(answers))):
                print(f"{batch:>5} {kind:<12} {count:>6} {rate:>7.0f} {1000 / rate:>7.2f} "
                      f"{rate / free:>7.2f}  {note}")


if __name__ == "__main__":
    main()
