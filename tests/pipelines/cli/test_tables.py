"""Tables at 80 columns: run ids and dollars are never cut; other columns give way in order."""

from __future__ import annotations

import io

from rich.console import Console

from pipelines.cli.tables import Col, print_table, widths

RUN_ID = "20261202-134935-165e"
COLS = (Col("run"), Col("status"), Col("$", right=True), Col("recipe", shrink=2, least=8),
        Col("model", shrink=1, least=0))


def render(rows, width: int) -> list[str]:
    out = io.StringIO()
    print_table(Console(file=out, width=width), "runs", COLS, rows)
    return out.getvalue().splitlines()


def test_everything_fits_when_there_is_room():
    rows = [(RUN_ID, "ok", "$0.0000172", "rsa_math", "moe-tiny")]
    assert widths(COLS, rows, 120) == [20, 6, 10, 8, 8]
    lines = render(rows, 120)
    assert lines[-1].split() == [RUN_ID, "ok", "$0.0000172", "rsa_math", "moe-tiny"]


def test_shrinking_columns_give_way_first_and_the_optional_one_is_left_out():
    rows = [(RUN_ID, "interrupted", "$0.0000172", "a_long_recipe_name_here", "deepseek-chat")]
    # model (shrink 1, least 0) goes first, then recipe is cut down to what is left
    assert widths(COLS, rows, 60) == [20, 11, 10, 13, 0]
    last = render(rows, 60)[-1]
    assert last.split()[:3] == [RUN_ID, "interrupted", "$0.0000172"]
    assert last.rstrip().endswith("a_long_recip…") and len(last.rstrip()) == 60


def test_ids_and_dollars_survive_a_terminal_too_narrow_for_them():
    rows = [(RUN_ID, "interrupted", "$0.0000172", "rsa_math", "moe-tiny")]
    last = render(rows, 40)[-1]
    assert last.split()[:3] == [RUN_ID, "interrupted", "$0.0000172"]
