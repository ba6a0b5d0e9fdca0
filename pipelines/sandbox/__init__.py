"""Jinja2 in a sandbox with StrictUndefined: `${...}` expressions (expr.py) and prompt
templates read from the recipe's own folder (templates.py), bounded in size and time
(guard.py, limits.py); what an expression reads and what the sandbox would refuse, found
without running it (analysis.py)."""
