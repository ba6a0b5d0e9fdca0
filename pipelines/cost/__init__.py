"""Cost model and metering: price sheets, MoE deployment economics, the meter, run bills.

Public API:
    load_meter(*pricing) -> CostMeter            # implements pipelines.types.Meter (+ knows,
                                                 # lookup); order: pipelines.cost.pricing
    profile_tiers(profile) -> Tiers              # standard and bulk tiers, off-peak window
    call_cost_columns(price, cache_hit=...)      # run-store columns of one call
    load_sheet, load_profile, explain, economics_at, batch_for_tps_user, distinct_experts
    itemise(rows) -> Bill, read_calls(store, run) # `pipe cost bill`
    cost                                         # click group: pipelines.cost.cli.cost
"""

from pipelines.cost.bill import Bill, Totals, format_bill, itemise, read_calls
from pipelines.cost.economics import (Economics, batch_for_tps_user, distinct_experts,
                                      economics_at, explain)
from pipelines.cost.derive import Tiers, profile_tiers
from pipelines.cost.meter import CostMeter, call_cost_columns, load_meter
from pipelines.cost.profiles import GpuProfile, MeasuredProfile, Profile, load_profile
from pipelines.cost.sheets import PriceSheet, Rates, cost_components, load_sheet, shipped_sheets

__all__ = [
    "Bill", "CostMeter", "Economics", "GpuProfile", "MeasuredProfile", "PriceSheet", "Profile",
    "Rates", "Tiers", "Totals", "batch_for_tps_user", "call_cost_columns", "cost_components",
    "distinct_experts", "economics_at", "explain", "format_bill", "itemise", "load_meter",
    "load_profile", "load_sheet", "profile_tiers", "read_calls", "shipped_sheets",
]
