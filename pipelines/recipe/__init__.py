"""From a recipe file to a validated, unrolled `Plan`; every check runs here, before any call.

    source.py        safe YAML reading that remembers where every key came from
    schema.py        pydantic models of a recipe, typed `-p KEY=VALUE` overrides
    plan_builder.py  params, node configs, repeats unrolled, references checked -> Plan
    checks.py        node names, schema fix hints, the dataset's first rows (limits: docs/limits.md)
    plan.py          the Plan: nodes in topological order, their DAG, Mermaid/DOT text
    datasets.py      dataset sources (`pipe.datasets` entry points) -> items
    jsonl.py         JSONL datasets read as the run goes, a large file checked beside it
"""
