"""The `pipe` command line: a thin shell over the public API in `pipelines`.

    main.py     the click group and its run/validate/graph/runs/show commands
    render.py   rich tables and JSON for what those commands print
"""

from pipelines.cli.main import fail, main

__all__ = ["fail", "main"]
