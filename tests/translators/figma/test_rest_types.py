"""Ingest against Figma's published REST types (npm `@figma/rest-api-spec`): every field name
ingest reads, every node type it tells apart and the response keys it looks for must exist in
those types, checked by tsc; and the real responses only use node types the types declare."""

from __future__ import annotations

import json
from pathlib import Path

from translators.checks.compile import NODE_MODULES, tsc_check
from translators.figma.rest_fields import NODE_TYPES, READS

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
SPEC = NODE_MODULES / "@figma" / "rest-api-spec" / "dist" / "api_types.ts"


def _check_source() -> str:
    lines = ['import type * as F from "@figma/rest-api-spec";', ""]
    for i, (kind, fields) in enumerate(READS.items()):
        lines.append(f"export const f{i}: (keyof F.{kind})[] = {json.dumps(list(fields))};")
    lines.append(f'export const kinds: (F.Node["type"])[] = {json.dumps(list(NODE_TYPES))};')
    return "\n".join(lines) + "\n"


def test_ingest_reads_only_fields_the_published_types_declare(tmp_path):
    source = tmp_path / "figma_fields.ts"
    source.write_text(_check_source(), encoding="utf-8")
    assert tsc_check([source])[source] == []


def test_a_misspelt_field_is_caught(tmp_path):
    source = tmp_path / "figma_fields.ts"
    source.write_text(_check_source().replace('"itemReverseZIndex"', '"itemReverseZindex"'), encoding="utf-8")
    errors = tsc_check([source])[source]
    assert len(errors) == 1 and "itemReverseZindex" in errors[0]


def test_real_responses_use_declared_node_types():
    declared = SPEC.read_text(encoding="utf-8")
    seen = set()
    for path in REAL.glob("*.json"):
        todo = [json.loads(path.read_text(encoding="utf-8"))]
        while todo:
            item = todo.pop()
            if isinstance(item, dict):
                if isinstance(item.get("type"), str) and isinstance(item.get("id"), str) and "children" in item:
                    seen.add(item["type"])
                todo.extend(item.values())
            elif isinstance(item, list):
                todo.extend(item)
    assert seen >= {"DOCUMENT", "CANVAS", "FRAME", "COMPONENT"}
    assert all(f"type: '{kind}'" in declared for kind in seen), seen
