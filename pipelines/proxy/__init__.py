"""`pipe serve --recipe R.yaml`: a recipe behind an OpenAI-compatible chat endpoint.

Each chat request is one run of the recipe on one item (the last user message), recorded in
the run store like any `pipe run`; the answer is the recipe's voted answer. Modules:

    request    the chat request -> question, recipe params, budget, resume
    runner     the recipe, checked once; each request's RunOptions; summing a run's calls
    responses  chat.completion bodies and SSE chunks with progress
    app        the Starlette routes;  cli  the `pipe serve` command
"""

from pipelines.proxy.app import create_app
from pipelines.proxy.runner import ProxySettings

__all__ = ["ProxySettings", "create_app"]
