"""What one client may ask of the server: body size and shape, fan-out, and time to send.

Every limit has a default that serves pipe's own calls with room to spare; `create_app(...,
limits=ServerLimits(...))` and the `pipe serve` options change them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MAX_BODY_BYTES = 4 * 2**20


class ServerLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_body_bytes: int = Field(MAX_BODY_BYTES, ge=1)
    """Largest JSON body (413 past it); the Batch API's file uploads have their own limit."""
    max_json_depth: int = Field(32, ge=2)
    """Deepest nesting of arrays and objects in a body (400 past it); OpenAI bodies need ~6."""
    max_prompts: int = Field(32_768, ge=1)
    """Most prompts in one /v1/completions call (400 past it)."""
    max_choices: int = Field(32_768, ge=1)
    """Most completions one call may ask for: n x prompts (400 past it). A queued prompt holds
    ~1 KB of engine state before it runs (22 MB for 20,000), so this bounds a call's memory;
    admission is fair (`moe.engine.waiting`), so a call at the cap does not hold others back."""
    header_timeout_s: float = Field(10.0, gt=0)
    """Time a connection has to send a request's headers; then it is closed (`pipe serve`)."""
    body_timeout_s: float = Field(30.0, gt=0)
    """Time a request has to send its whole body; then 408 and the connection is closed."""
    keep_alive_s: float = Field(5.0, gt=0)
    """An idle keep-alive connection is closed after this long (`pipe serve`)."""
