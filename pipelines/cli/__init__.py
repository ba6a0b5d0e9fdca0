"""The `pipe` command line: a thin shell over the public API in `pipelines`.

    main.py     the click group and its run/validate/graph/runs/show commands
    export.py   `pipe export`: a run's items or calls as JSONL or CSV
    render.py   what those commands print: tables and JSON
    tables.py   tables that fit 80 columns without cutting run ids or dollars
    errors.py   how every command reports an error and exits
"""

from pipelines.cli.main import fail, main

__all__ = ["fail", "main"]
