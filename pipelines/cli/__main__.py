"""`python -m pipelines.cli ...` is `pipe ...` (for environments without the console script)."""

from pipelines.cli.main import main

main()
