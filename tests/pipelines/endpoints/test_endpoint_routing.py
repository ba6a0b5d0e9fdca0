"""Sticky routing: stable, spread out, and moving few keys when replicas change."""

from __future__ import annotations

import random
from collections import Counter

import httpx
import pytest

from pipelines.endpoints import EndpointClient, EndpointConfig, pick_replica, route_key
from tests.pipelines.endpoints.fakes import Script, ok, request

REPLICAS = ["http://r1:8000/v1", "http://r2:8000/v1", "http://r3:8000/v1"]


def test_route_key_prefers_the_request_key() -> None:
    assert route_key(request("anything", route_key="item-7")) == "item-7"


def test_route_key_falls_back_to_the_first_message_prefix() -> None:
    shared = "You are a careful solver. " * 20  # > 256 chars
    a = request(shared + "problem A")
    b = request(shared + "problem B")
    assert route_key(a) == route_key(b) == shared[:256]


def test_choice_is_deterministic_and_spread() -> None:
    keys = [f"item-{i}" for i in range(300)]
    first = [pick_replica(REPLICAS, k) for k in keys]
    assert first == [pick_replica(REPLICAS, k) for k in keys]
    counts = Counter(first)
    assert set(counts) == {0, 1, 2} and min(counts.values()) > 60


def test_removing_a_replica_moves_only_its_keys() -> None:
    keys = [f"prefix-{random.Random(i).random()}" for i in range(300)]
    before = {k: REPLICAS[pick_replica(REPLICAS, k)] for k in keys}
    survivors = [REPLICAS[0], REPLICAS[2]]
    after = {k: survivors[pick_replica(survivors, k)] for k in keys}
    moved = [k for k in keys if before[k] != after[k]]
    assert moved and all(before[k] == REPLICAS[1] for k in moved)


@pytest.mark.anyio
async def test_client_sends_shared_prefixes_to_one_replica() -> None:
    script = Script(lambda r: ok(r.url.host))
    config = EndpointConfig(urls=list(reversed(REPLICAS)))
    async with EndpointClient(config, transport=script.transport()) as client:
        shared = "Solve step by step. " * 20
        hosts = {(await client.chat(request(shared + f" variant {i}"))).content for i in range(10)}
        assert len(hosts) == 1
        by_key = {}
        for i in range(60):
            req = request(f"question {i}", route_key=f"item-{i}")
            by_key[req.route_key] = (await client.chat(req)).content
            assert httpx.URL(client.replica_for(req)).host == by_key[req.route_key]
        for i in range(60):  # the same keys again land on the same replicas
            req = request(f"other text {i}", route_key=f"item-{i}")
            assert (await client.chat(req)).content == by_key[req.route_key]
    assert set(by_key.values()) == {"r1", "r2", "r3"}
