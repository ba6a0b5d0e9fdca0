"""Constrained decoding: answers held to a JSON schema (OpenAI's `response_format`).

    grammar = compile_schema(schema)        # SchemaError names what is not supported
    matcher = Matcher(grammar)              # one per request: it memoises its steps
    states = matcher.start()                # one per choice, advanced by each token's text
    ids = TokenIndex(texts, eos_id).allowed(matcher, states)   # the tokens that may come next
    states = matcher.feed(states, text_of_the_sampled_token)

`grammar`: the schema as nodes; `matcher`: those nodes walked a character at a time; `tokens`:
the vocabulary as a trie, walked with the matcher to mask the logits of each step.
"""

from moe.structured.grammar import SchemaError, any_object, compile_schema
from moe.structured.matcher import Matcher, States
from moe.structured.tokens import TokenIndex

__all__ = ["Matcher", "SchemaError", "States", "TokenIndex", "any_object", "compile_schema"]
