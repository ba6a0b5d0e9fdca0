"""The JSON Schema of the UI spec, generated from the pydantic models and shipped as schema.json.

Regenerate after changing the models: `python -m translators.ui_spec.schema`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from translators.ui_spec.models import Spec

SCHEMA_PATH = Path(__file__).with_name("schema.json")


def json_schema() -> dict[str, Any]:
    """The spec's JSON Schema (draft 2020-12), from the pydantic models."""
    schema = Spec.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://pipe.invalid/schemas/ui-spec.json", **schema}


def schema_text() -> str:
    """`json_schema()` as the text shipped in schema.json (sorted keys, one-space indent)."""
    return json.dumps(json_schema(), indent=1, sort_keys=True) + "\n"


def main() -> None:
    """Rewrite schema.json."""
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")


if __name__ == "__main__":
    main()
