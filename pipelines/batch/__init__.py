"""`pipe batch`: bulk jobs (OpenAI Batch JSONL files, or a recipe over its dataset) run at the
cheapest prices an endpoint offers.

    requests.py      input lines: validation with line numbers, strict mode, duplicate ids
    recipe_input.py  a recipe's first-level llm calls over its dataset, as requests
    timeline.py      price spans (tiers between two times) over the cost model's sheets
    windows.py       run now / in off-peak windows / in the cheapest slots before a deadline
    schedule.py      the job's expected tokens and price slots -> its plan
    jobstore.py      SQLite: jobs and per-request state (exactly one result per custom_id)
    metering.py      the tier each request ran in, and the reference price of running now
    executor.py      concurrent path through `EndpointClient`
    provider_batch.py  the endpoint's own Batch API (/v1/files, /v1/batches)
    runner.py        one process running a job: claim, windows, cancel, heartbeat
    output.py        OpenAI Batch output and error files
    savings.py       cost report: actual bill by tier vs running now at standard prices
    jobs.py, cli.py  submit, status, results, cancel, resume (Python API, `pipe batch`)

Settings shared with runs (store, endpoint, model, concurrency, max_cost, transport, meter,
clock) come in one `pipelines.RunOptions`.
"""

from pipelines.batch.jobs import cancel, resume, results, status, submit
from pipelines.clock import ScaledClock, SystemClock

__all__ = ["ScaledClock", "SystemClock", "cancel", "resume", "results", "status",
           "submit"]
