"""Prompt templates: jinja2 files next to the recipe, rendered in a sandbox with StrictUndefined.

A template (or anything it includes) must lie inside the recipe's folder once symlinks are
resolved, as python nodes' modules must; rendering is bounded in time and length (guard.py).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta

from pipelines.sandbox.analysis import Findings, analyse
from pipelines.sandbox.guard import GuardedSandbox, check_deadline, check_length, time_limit


class TemplateOutside(jinja2.TemplateError):
    """A template path resolves (through a symlink) to a file outside the recipe's folder."""


class IncludeCycle(jinja2.TemplateError):
    """A template includes itself, directly or through others."""


class TemplateNotText(jinja2.TemplateError):
    """A template file is not UTF-8 text."""


class _InsideLoader(jinja2.FileSystemLoader):
    """FileSystemLoader that refuses files whose real path leaves its root."""

    def __init__(self, root: Path):
        super().__init__(str(root))
        self.real_root = root.resolve()

    def get_source(self, environment: jinja2.Environment, template: str):
        try:
            source, filename, uptodate = super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            raise TemplateNotText(f"template {template!r} is not UTF-8 text (byte "
                                  f"0x{exc.object[exc.start]:02x} at offset {exc.start})") from None
        real = Path(filename).resolve()
        if self.real_root not in real.parents:
            raise TemplateOutside(f"template {template!r} resolves to {real}, outside the "
                                  f"recipe's folder {self.real_root}")
        return source, filename, uptodate


class Templates:
    """Loads templates only from inside one recipe folder."""

    def __init__(self, root: Path):
        self.root = root
        self.env = GuardedSandbox(
            loader=_InsideLoader(root), undefined=jinja2.StrictUndefined,
            autoescape=False, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)

    def source(self, name: str) -> str:
        return self.env.loader.get_source(self.env, name)[0]

    def variables(self, name: str | None = None, *, text: str | None = None) -> set[str]:
        """Variables a template reads without defining them (templates it includes too)."""
        return self.findings(name, text=text).names

    def findings(self, name: str | None = None, *, text: str | None = None,
                 _seen: tuple[str, ...] = ()) -> Findings:
        """What a template (and every template it includes) reads, and what the sandbox would
        refuse. Raises TemplateNotFound / TemplateOutside / IncludeCycle / TemplateSyntaxError."""
        if name is not None and name in _seen:
            raise IncludeCycle(f"template includes itself: {' -> '.join((*_seen, name))}")
        src = self.source(name) if name is not None else text or ""
        ast = self.env.parse(src, name=name, filename=name)
        self.env.compile(ast, name=name, filename=name)  # unknown filters/tests fail here
        found = analyse(ast)
        chain = (*_seen, name) if name is not None else _seen
        for ref in meta.find_referenced_templates(ast):
            if ref:
                found.merge(self.findings(ref, _seen=chain))
        return found

    def render(self, name: str | None, context: dict[str, Any], *, text: str | None = None) -> str:
        template = self.env.get_template(name) if name is not None else self.env.from_string(text)
        chunks, size = [], 0
        with time_limit(f"rendering template {name or 'inline content'}"):
            for chunk in template.generate(**context):
                size += len(chunk)
                check_length(size, f"template {name or 'inline content'}")
                check_deadline()
                chunks.append(chunk)
        return "".join(chunks)


@lru_cache(maxsize=64)
def templates_for(root: Path) -> Templates:
    return Templates(root)
