"""Prompt templates: jinja2 files next to the recipe, rendered in a sandbox with StrictUndefined."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment


class Templates:
    """Loads templates only from inside one recipe folder."""

    def __init__(self, root: Path):
        self.root = root
        self.env = ImmutableSandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(root)), undefined=jinja2.StrictUndefined,
            autoescape=False, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)

    def source(self, name: str) -> str:
        return self.env.loader.get_source(self.env, name)[0]

    def variables(self, name: str | None = None, *, text: str | None = None) -> set[str]:
        """Variables a template reads without defining them (templates it includes too)."""
        src = self.source(name) if name is not None else text or ""
        ast = self.env.parse(src)
        found = set(meta.find_undeclared_variables(ast))
        for ref in meta.find_referenced_templates(ast):
            if ref:
                found |= self.variables(ref)
        return found

    def render(self, name: str | None, context: dict[str, Any], *, text: str | None = None) -> str:
        template = self.env.get_template(name) if name is not None else self.env.from_string(text)
        return template.render(**context)


@lru_cache(maxsize=64)
def templates_for(root: Path) -> Templates:
    return Templates(root)
