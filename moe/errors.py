"""Every exception `moe` raises on purpose, in one place.

    MoEError              base class of every error moe raises deliberately
    └── MoEInputError     bad input from the caller, fixable by the caller: a weights directory,
                          config or tokenizer file the model cannot use, chat messages with an
                          unknown role, token chunks that are empty, out of vocabulary or too long

moe imports no other package of this project: a program that embeds it translates these errors
at its own boundary (pipe's embedded endpoint turns MoEInputError into its own input error).
The HTTP server answers with `moe.server.errors.APIError`, and the engine refuses requests it
can never serve with `moe.engine.RequestRejected`; both stay inside the server.
"""

from __future__ import annotations


class MoEError(Exception):
    """Base class of every error moe raises deliberately."""


class MoEInputError(MoEError):
    """The caller's input cannot be used as given; the message says what to fix."""
