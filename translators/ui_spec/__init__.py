"""The UI spec: closed schema (pydantic models + schema.json), validator with YAML paths, canonical YAML."""

from translators.ui_spec.dump import dump_spec, spec_data
from translators.ui_spec.models import Spec
from translators.ui_spec.validate import ALL_TARGETS, Checked, check_spec, load_spec

__all__ = ["ALL_TARGETS", "Checked", "Spec", "check_spec", "dump_spec", "load_spec", "spec_data"]
