"""Short start times in `pipe runs`: the time today, the date (and time) before."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from pipelines.cli.render import _when


def test_start_times_are_short_like_ls():
    now = datetime.now(timezone.utc)
    assert _when(time.time()) == now.strftime("%H:%M")
    last_year = datetime(now.year - 1, 3, 4, 5, 6, tzinfo=timezone.utc).timestamp()
    assert _when(last_year) == f"{now.year - 1}-03-04"
    if now.month > 1:  # earlier this year
        earlier = datetime(now.year, 1, 2, 3, 4, tzinfo=timezone.utc).timestamp()
        assert _when(earlier) == "01-02 03:04"
