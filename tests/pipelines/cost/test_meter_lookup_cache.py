"""The meter finds a (endpoint, model)'s sheet once, not on every call it prices: each call of
a run asks the same question, and rebuilding every sheet's name table each time showed in
profiles. What it finds is what it found before."""

from __future__ import annotations

from datetime import datetime, timezone

from pipelines.cost import load_meter
from pipelines.cost.sheets import PriceSheet
from pipelines.types import Usage

AT = datetime(2025, 10, 5, 12, 0, tzinfo=timezone.utc)
CALL = Usage(prompt_tokens=1_000, completion_tokens=500)
ASKED = [("embedded", "moe-tiny"), ("https://api.deepseek.com/v1", "deepseek-chat"),
         ("http://10.0.0.5:8000/v1", "no-such-model"), ("embedded", "MOE-TINY")]


def test_a_second_lookup_reads_no_sheet_and_finds_the_same(monkeypatch):
    meter = load_meter()
    first = {asked: meter.lookup(*asked) for asked in ASKED}
    prices = {asked: meter.price(endpoint=asked[0], model=asked[1], usage=CALL, started_at=AT)
              for asked in ASKED}
    assert first[ASKED[2]] is None and prices[ASKED[2]].usd is None  # unknown stays unknown
    assert first[ASKED[0]] is not None and prices[ASKED[0]].usd > 0
    built = []
    names = PriceSheet.names
    monkeypatch.setattr(PriceSheet, "names", lambda self: built.append(self.name) or names(self))
    for _ in range(3):
        for asked in ASKED:
            assert meter.lookup(*asked) == first[asked]
            assert meter.price(endpoint=asked[0], model=asked[1], usage=CALL,
                               started_at=AT) == prices[asked]
    assert built == []
    fresh = load_meter()  # a new meter looks again, and agrees
    assert {asked: fresh.lookup(*asked) for asked in ASKED} == first and built
