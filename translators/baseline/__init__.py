"""Rule-based Figma -> spec conversion (no model): the baseline the LLM step is measured against."""

from translators.baseline.convert import build_spec

__all__ = ["build_spec"]
