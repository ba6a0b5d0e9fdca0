"""Extension points: entry-point registries, loaded once, with clear errors."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from pipelines.plugins import NODE_KINDS, Registry


def registry(**entries: str) -> Registry:
    reg = Registry("pipe.test", "test entry")
    reg._entries = {name: EntryPoint(name, value, "pipe.test") for name, value in entries.items()}
    return reg


def test_an_entry_is_imported_on_first_use_and_then_kept():
    reg = registry(dumps="json:dumps")
    assert "dumps" in reg and reg.names() == ["dumps"]
    first = reg.get("dumps")
    assert first.__name__ == "dumps" and reg.get("dumps") is first
    assert not isinstance(reg._entries["dumps"], EntryPoint)


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(KeyError, match=r"unknown test entry 'nope'; known: \['dumps'\]"):
        registry(dumps="json:dumps").get("nope")


def test_a_broken_entry_says_which_and_how_to_fix_it():
    with pytest.raises(ImportError, match=r"pipe.test entry point 'gone' = 'no_such_module:f' "
                                          r"cannot be loaded .*reinstall pipe"):
        registry(gone="no_such_module:f").get("gone")


def test_run_time_registration_adds_to_the_installed_entries(monkeypatch):
    monkeypatch.setattr(NODE_KINDS, "_entries", dict(NODE_KINDS._table()))
    marker = type("Marker", (), {})
    NODE_KINDS.register("marker", marker)
    assert NODE_KINDS.get("marker") is marker and "llm" in NODE_KINDS
