"""Constrained decoding: answers held to a JSON schema (OpenAI's `response_format`).

    grammar = compile_schema(schema)        # SchemaError names what is not supported
    matcher = matcher_for(grammar)          # shared by the requests of one grammar: it memoises
    states = matcher.start()                # one per choice, advanced by each token's text
    logits = TokenIndex(texts, eos_id).mask(logits, matcher, states)  # -inf where it may not go
    states = matcher.feed(states, text_of_the_sampled_token)

`grammar`: the schema as nodes; `matcher`: those nodes walked a character at a time; `tokens`:
the vocabulary as a trie, walked with the matcher to mask the logits of each step.
"""

from moe.structured.grammar import SchemaError, any_object, compile_schema
from moe.structured.matcher import Matcher, States, matcher_for
from moe.structured.tokens import TokenIndex

__all__ = ["Matcher", "SchemaError", "States", "TokenIndex", "any_object", "compile_schema", "matcher_for"]
