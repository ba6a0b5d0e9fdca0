"""Jinja2 in a sandbox with StrictUndefined: `${...}` expressions (expr.py) and prompt
templates read from the recipe's own folder (templates.py)."""
