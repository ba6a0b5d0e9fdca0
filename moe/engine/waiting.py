"""The waiting queue: first in, first out within a group, round-robin across groups.

A group is what one client asked for at once (the prompts of one /v1/completions call share
one). Admission takes the head of the group at the front and moves that group to the back, so
a call with 20,000 prompts lets every other call's next request in after one of its own
instead of after all of them. Removal is O(1), so aborting a big call stays cheap.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterator

from moe.engine.request import Request


class FairQueue:
    def __init__(self) -> None:
        self._groups: OrderedDict[str, OrderedDict[str, Request]] = OrderedDict()
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __contains__(self, request: Request) -> bool:
        group = self._groups.get(request.group)
        return group is not None and request.request_id in group

    def __iter__(self) -> Iterator[Request]:
        """Every waiting request, group by group (not the admission order)."""
        for group in self._groups.values():
            yield from group.values()

    def add(self, request: Request) -> None:
        self._groups.setdefault(request.group, OrderedDict())[request.request_id] = request
        self._count += 1

    def remove(self, request: Request) -> bool:
        """Drop `request` if it waits here; its group keeps its place in the rotation."""
        group = self._groups.get(request.group)
        if group is None or group.pop(request.request_id, None) is None:
            return False
        self._count -= 1
        if not group:
            del self._groups[request.group]
        return True

    def heads(self) -> Iterator[Request]:
        """The oldest request of each group, in admission order."""
        for group in self._groups.values():
            yield next(iter(group.values()))

    def take(self, request: Request) -> None:
        """Admit `request`: remove it and send its group to the back of the rotation."""
        if self.remove(request) and request.group in self._groups:
            self._groups.move_to_end(request.group)
