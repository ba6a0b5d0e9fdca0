"""Turn a deployment profile into per-token rates, and into a price sheet.

A GPU profile is priced at its configured operating point (its batch, or the batch that meets
its tokens/s-per-user target); a measured profile at its measured throughput. Reasoning tokens
cost the same as other output tokens on a self-hosted server.
"""

from __future__ import annotations

from typing import Any

from pipelines.cost.economics import explain
from pipelines.cost.profiles import MeasuredProfile, Profile, model_names
from pipelines.cost.sheets import Rates

ALWAYS = "2000-01-01T00:00:00Z"
"""`from` of a derived sheet's only period: a server's own cost does not change with the date."""


def profile_rates(profile: Profile) -> Rates:
    e = explain(profile)
    return Rates(input_miss=e.usd_per_m_input_miss, input_hit=e.usd_per_m_input_hit,
                 output=e.usd_per_m_output)


def profile_version(profile: Profile) -> str:
    """`name-vN`, marked `-placeholder` while a measured profile's figures are placeholders."""
    tag = f"{profile.name}-v{profile.version}"
    if isinstance(profile, MeasuredProfile) and profile.measured.placeholder:
        tag += "-placeholder"
    if getattr(profile, "calibration", None) is not None:
        tag += f"-calibrated-{profile.calibration.measured_at[:10]}"
    return tag


def profile_source(profile: Profile) -> str:
    return f"profile:{profile_version(profile)}"


def _sig(x: float) -> float:
    """Six significant digits: stable text in a generated file, far below a cent per 1M."""
    return float(f"{x:.6g}")


def sheet_from_profile(profile: Profile, *, sheet_name: str, endpoint: str | None) -> dict[str, Any]:
    """A price-sheet mapping (ready for YAML) with the profile's rates for its model."""
    rates = profile_rates(profile)
    names = model_names(profile)
    return {
        "name": sheet_name,
        "version": profile_version(profile),
        "description": f"derived from deployment profile {profile.name} v{profile.version}",
        "endpoint": endpoint,
        "models": {names[0]: {
            "aliases": names[1:],
            "periods": [{"from": ALWAYS, "rates": {
                "input_miss": _sig(rates.input_miss), "input_hit": _sig(rates.input_hit),
                "output": _sig(rates.output)}}],
        }},
    }
