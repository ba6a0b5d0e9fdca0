"""Carrying out a validated plan: items through the DAG, calls through one metered path.

    dataflow.py   item-level dataflow: each (item, node) runs as soon as its inputs exist
    call_path.py  resume -> cache -> budget -> send -> meter -> record, for every LLM call
    budget.py     --max-cost as reservations of each call's worst case
    stats.py      live counters; progress.py shows them
    estimate.py   the worst case of a whole run, before anything is spent
"""
