"""Which process owns a running run, and whether it is still alive.

A run records its owner (host, pid, and the process's start time so a recycled pid does not
pass for it). A run whose owner is gone is shown as `interrupted`, whatever killed it.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def process_start(pid: int) -> str | None:
    """The kernel's start time of `pid` (Linux /proc, clock ticks since boot); None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the command name may hold spaces


def this_owner() -> tuple[str, int, str | None]:
    """(host, pid, start time) of the calling process."""
    pid = os.getpid()
    return socket.gethostname(), pid, process_start(pid)


def owner_gone(host: str | None, pid: int | None, started: str | None) -> bool:
    """True when the owner is known, on this host, and no longer running. Owners on other
    hosts (a shared store) cannot be checked and count as alive."""
    if pid is None or host != socket.gethostname():
        return False
    if started is not None and Path("/proc").is_dir():
        return process_start(pid) != started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False
