"""The endpoint client layer: configuration, retries, adaptive limits, sticky routing.

    config = resolve_endpoint("http://localhost:8000/v1")   # or None, "embedded", a dict
    async with EndpointClient(config) as client:
        result = await client.chat(ChatRequest(model="m", messages=({"role": "user", "content": "hi"},)))
"""

from pipelines.endpoints.client import EndpointClient, EventCallback
from pipelines.endpoints.config import EMBEDDED, EndpointConfig, load_embedded, resolve_endpoint
from pipelines.endpoints.routing import pick_replica, route_key

__all__ = [
    "load_embedded",
    "EMBEDDED",
    "EndpointClient",
    "EndpointConfig",
    "EventCallback",
    "pick_replica",
    "resolve_endpoint",
    "route_key",
]
