"""The sandbox bounds what `${...}` and templates may cost, before they allocate, and finds
what it would refuse without running anything."""

from __future__ import annotations

import time
from pathlib import Path

import jinja2
import pytest

from pipelines.errors import InputError
from pipelines.sandbox.expr import ExprError, evaluate, findings_in
from pipelines.sandbox.guard import SandboxLimitError
from pipelines.sandbox.limits import limit
from pipelines.sandbox.templates import IncludeCycle, Templates, TemplateOutside


def test_small_powers_keep_their_exact_value():
    # jinja2's ** is left-associative: (9 ** 9) ** 9
    assert evaluate("${ 9 ** 9 ** 9 }", {}) == 387420489 ** 9
    assert evaluate("${ 2 ** 100 }", {}) == 1267650600228229401496703205376
    assert evaluate("${ 'ab' * 3 }", {}) == "ababab"
    assert evaluate("${ '%05d' % 42 }", {}) == "00042"


@pytest.mark.parametrize("expr, limit_name, message", [
    ("${ 7 ** (7 ** 9) }", "int_bits",
     "7 ** 40353607 would be an integer of about 113,286,898 bits, over the limit of 65,536 "
     "(PIPE_MAX_INT_BITS)"),
    ("${ ('a' * 4000000000) | length }", "str_chars",
     "repeating a value would have 4,000,000,000 characters or elements, over the limit of "
     "10,000,000 (PIPE_MAX_STRING_CHARS)"),
    ("${ [0] * 20000000 }", "str_chars", "repeating a value would have 20,000,000"),
    ("${ '%0999999999d' % 1 }", "str_chars", "a %-format width would have 999,999,999"),
    ("${ '%0*d' % (999999999, 1) }", "str_chars", "a %-format width would have 999,999,999"),
    ("${ '{:>999999999}'.format(1) }", "str_chars", "a format width would have 999,999,999"),
    ("${ 'a'.ljust(10 ** 9) }", "str_chars", "str.ljust would have 1,000,000,000"),
    ("${ 'a' | center(10 ** 9) }", "str_chars", "center would have 1,000,000,000"),
    ("${ [1] | batch(10 ** 9, 0) | list }", "str_chars", "batch/slice would have 1,000,000,000"),
    ("${ ('x' * 5000) | replace('', 'y' * 5000) }", "str_chars", "replace would have 25,010,000"),
])
def test_growth_is_refused_before_it_allocates(expr, limit_name, message):
    started = time.monotonic()
    with pytest.raises(SandboxLimitError) as err:
        evaluate(expr, {})
    assert err.value.limit == limit_name
    assert message in str(err.value)
    assert time.monotonic() - started < 5  # a hang guard, not a speed target


def test_limits_are_raised_by_their_environment_variable(monkeypatch):
    with pytest.raises(SandboxLimitError):
        evaluate("${ 2 ** 70000 }", {})
    monkeypatch.setenv("PIPE_MAX_INT_BITS", "80000")
    assert evaluate("${ 2 ** 70000 }", {}) == 2 ** 70000
    monkeypatch.setenv("PIPE_MAX_INT_BITS", "-3")
    with pytest.raises(InputError, match="PIPE_MAX_INT_BITS='-3' is not valid"):
        limit("int_bits")


def test_slow_templates_stop_at_the_time_limit(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PIPE_MAX_EVAL_SECONDS", "0.3")
    (tmp_path / "slow.j2").write_text(
        "{% macro f(d) %}{% if d > 0 %}{{ f(d - 1) }}{{ f(d - 1) }}{% endif %}{% endmacro %}"
        "{{ f(40) }}")
    started = time.monotonic()
    with pytest.raises(SandboxLimitError) as err:
        Templates(tmp_path).render("slow.j2", {})
    assert err.value.limit == "eval_seconds"
    assert "rendering template slow.j2 took more than 0.3 s (PIPE_MAX_EVAL_SECONDS)" in str(err.value)
    assert time.monotonic() - started < 10


def test_rendered_length_is_bounded(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PIPE_MAX_STRING_CHARS", "1000")
    (tmp_path / "long.j2").write_text("{% for i in range(100) %}{% for j in range(100) %}"
                                      "x{% endfor %}{% endfor %}")
    with pytest.raises(SandboxLimitError, match="template long.j2 would have 1,001 characters"):
        Templates(tmp_path).render("long.j2", {})


def test_loop_carried_state_is_not_available(tmp_path: Path):
    (tmp_path / "ns.j2").write_text("{% set ns = namespace(s='a') %}{{ ns.s }}")
    with pytest.raises(jinja2.UndefinedError, match="'namespace' is undefined"):
        Templates(tmp_path).render("ns.j2", {})


def test_findings_name_fields_params_and_violations():
    found = findings_in({"a": "${item.question} ${params.N + 1}", "b": ["${x.__class__}"],
                         "c": "${item['answer'].update({})}"})
    assert found.names == {"item", "params", "x"}
    assert found.item_fields == {"question", "answer"}
    assert found.params == {"N"}
    assert found.unsafe == ["reads the internal attribute '__class__'",
                            "calls .update(), which modifies a value in place"]
    with pytest.raises(ExprError, match="unclosed"):
        findings_in("${item.question")
    with pytest.raises(ExprError, match="No filter named 'shout'"):
        findings_in("${item.question | shout}")


def test_templates_outside_the_folder_are_refused_at_check_and_render(tmp_path: Path):
    root, outside = tmp_path / "recipe", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.j2").write_text("SECRET")
    (root / "link.j2").symlink_to(outside / "secret.j2")
    (root / "inc.j2").write_text("{% include 'link.j2' %}")
    (root / "loop.j2").write_text("{% include 'loop2.j2' %}")
    (root / "loop2.j2").write_text("{% include 'loop.j2' %}")
    templates = Templates(root)
    for name in ("link.j2", "inc.j2"):
        with pytest.raises(TemplateOutside, match="outside the recipe's folder"):
            templates.findings(name)
        with pytest.raises(TemplateOutside):
            templates.render(name, {})
    with pytest.raises(IncludeCycle, match="loop.j2 -> loop2.j2 -> loop.j2"):
        templates.findings("loop.j2")
