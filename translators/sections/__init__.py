"""Screens of any size through a small-context model: split the compact tree into sections that
fit, one LLM call per section, and assemble the section specs into one spec by rules."""

from translators.sections.assemble import assemble, section_nodes, unique_ids
from translators.sections.plan import PLACE_KEYS, Budget, embedded_budget, plan_sections

__all__ = ["PLACE_KEYS", "Budget", "assemble", "embedded_budget", "plan_sections", "section_nodes", "unique_ids"]
