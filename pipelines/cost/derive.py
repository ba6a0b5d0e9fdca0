"""Turn a deployment profile into price tiers, and the tiers into a price sheet.

A self-hosted server sells the same GPU-hour two ways: fast chat at a batch small enough that
every user gets their tokens/s (the standard tier), and bulk generation at the largest batch
that fits (the bulk tier), which is cheaper per token because the weights read each step are
shared by more sequences. Bulk runs in the profile's off-peak window and for batch calls:

    standard  the profile's batch rule: `batch_per_gpu`, or the largest batch meeting
              `tps_per_user` (a measured profile: the largest measured batch meeting it)
    bulk      GPU: the largest batch whose KV caches fit in memory beside the weights;
              measured: the largest measured batch (the most the server holds at once)

Prefill does not depend on the decode batch, so input rates are the same in both tiers.
Reasoning tokens cost the same as other output tokens on a self-hosted server.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.cost.economics import (Economics, economics_at, explain, max_batch_in_memory,
                                      measured_points)
from pipelines.cost.profiles import MeasuredProfile, OffPeak, Profile, model_names
from pipelines.cost.sheets import ModelPrices, Period, PriceSheet, Rates, Window
from pipelines.errors import InputError

ALWAYS = "2000-01-01T00:00:00Z"
"""`from` of a derived sheet's only period: a server's own cost does not change with the date."""


@dataclass(frozen=True)
class Tiers:
    """A deployment's two operating points and when the cheaper one is sold."""

    standard: Economics
    bulk: Economics
    off_peak: OffPeak


def bulk_batch(profile: Profile) -> float:
    """The bulk tier's batch per GPU (measured: per server)."""
    if isinstance(profile, MeasuredProfile):
        return max(measured_points(profile))
    return max_batch_in_memory(profile)


def profile_tiers(profile: Profile) -> Tiers:
    """Standard and bulk operating points. When nothing larger than the standard batch fits,
    bulk is the standard point (no discount is invented)."""
    standard = explain(profile)
    if standard.fits_memory is False:
        raise InputError(f"{profile.name}: batch {standard.batch_per_gpu:g} per GPU needs "
                         f"{standard.memory_gb_per_gpu:.1f} GB, more than the GPU's "
                         f"{profile.hardware.memory_gb:g} GB; fix: lower deployment."
                         f"batch_per_gpu to at most {max_batch_in_memory(profile):g}")
    batch = bulk_batch(profile)
    if batch <= standard.batch_per_gpu:
        bulk = standard
    elif isinstance(profile, MeasuredProfile):
        bulk = explain(profile, batch=batch)
    else:
        bulk = economics_at(profile, batch)
    return Tiers(standard, bulk, profile.off_peak)


def tier_rates(e: Economics) -> Rates:
    return Rates(input_miss=e.usd_per_m_input_miss, input_hit=e.usd_per_m_input_hit,
                 output=e.usd_per_m_output)


def profile_rates(profile: Profile) -> Rates:
    """The standard tier's rates."""
    return tier_rates(explain(profile))


def profile_version(profile: Profile) -> str:
    """`name-vN`, marked `-placeholder` while a measured profile's figures are placeholders."""
    tag = f"{profile.name}-v{profile.version}"
    if isinstance(profile, MeasuredProfile) and profile.measured.placeholder:
        tag += "-placeholder"
    if profile.calibration is not None:
        tag += f"-calibrated-{profile.calibration.measured_at[:10]}"
    return tag


def profile_source(profile: Profile) -> str:
    return f"profile:{profile_version(profile)}"


def sheet_from_profile(profile: Profile) -> PriceSheet:
    """A price sheet for the profile's model: standard rates all day, the bulk rates inside
    the off-peak window (tier `off-peak`) and for batch calls. Its calls' price source is
    `profile:NAME-vN`."""
    tiers = profile_tiers(profile)
    bulk = tier_rates(tiers.bulk)
    window = Window(start=tiers.off_peak.start, end=tiers.off_peak.end, tier="off-peak",
                    rates=bulk)
    period = Period.model_validate({"from": ALWAYS, "rates": tier_rates(tiers.standard),
                                    "windows": [window], "batch_rates": bulk})
    names = model_names(profile)
    sheet = PriceSheet(
        name=profile.name, version=profile_version(profile),
        description=f"derived from deployment profile {profile.name} v{profile.version}",
        models={names[0]: ModelPrices(aliases=names[1:], periods=[period])})
    sheet._origin = profile_source(profile)
    sheet._profile = profile
    return sheet
