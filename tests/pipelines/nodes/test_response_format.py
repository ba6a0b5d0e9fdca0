"""An llm node's `response_format` on the embedded endpoint: pipe sends it, the engine holds
every sample to the schema, so each output is JSON that validates against it."""

from __future__ import annotations

import json
import textwrap

import jsonschema

import pipelines
from pipelines import RunOptions

SCHEMA = {"type": "object", "required": ["answer", "sure"], "additionalProperties": False,
          "properties": {"answer": {"type": "integer"}, "sure": {"type": "boolean"}}}
RECIPE = f"""\
name: structured
dataset: {{source: inline, items: [{{id: a, q: "2+3"}}, {{id: b, q: "7*6"}}]}}
nodes:
  solve:
    kind: llm
    prompt: p.j2
    n: 3
    temperature: 1.0
    max_tokens: 64
    response_format: {{type: json_schema, json_schema: {{name: answer, schema: {json.dumps(SCHEMA)}}}}}
outputs:
  samples: ${{solve.output}}
"""


def test_every_sample_of_a_json_schema_node_validates(tmp_path):
    (tmp_path / "p.j2").write_text("Compute {{ item.q }}. Reply in JSON.")
    (tmp_path / "recipe.yaml").write_text(textwrap.dedent(RECIPE))
    result = pipelines.run(tmp_path / "recipe.yaml", {}, RunOptions(store=tmp_path / ".pipe", display="none"))
    assert (result.status, len(result.items)) == ("ok", 2)
    for item in result.items:
        samples = item["outputs"]["samples"]
        assert len(samples) == 3
        for text in samples:
            jsonschema.validate(json.loads(text), SCHEMA)
