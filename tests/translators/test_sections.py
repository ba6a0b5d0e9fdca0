"""Screens of any size through a small-context model: sections that fit, one call each,
assembled by rules (translators/sections)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

import pipelines
from pipelines import InputError
from tests.translators.test_steps import _section_answer
from translators.baseline import build_spec
from translators.fixtures import fixture_path, fixture_paths
from translators.llm import Prompts
from translators.sections import Budget, assemble, embedded_budget, plan_sections, section_nodes, unique_ids
from translators.sections.generate import sections_spec
from translators.sections.plan import spec_texts
from translators.steps import load_screen
from translators.ui_spec import check_spec, dump_spec, load_spec

PROMPT_DIR = Path(__file__).resolve().parents[2] / "recipes" / "prompts"
PROMPTS = Prompts(PROMPT_DIR, "terse")


def _budget(context=768, max_tokens=512, max_sections=32, prompts=PROMPTS):
    return embedded_budget(context, max_tokens, prompts.single, max_sections)


def _without_ids(value):
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def _run(plan, replies, chat=None, rounds=1):
    async def refuse(messages, **sampling):
        raise AssertionError("no repair expected")
    return asyncio.run(sections_spec(plan, replies, chat or refuse, PROMPTS, max_rounds=rounds, seed=3))


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.stem)
def test_every_section_fits_the_embedded_context_and_answers_assemble_into_the_rules_spec(path):
    screen = load_screen(path)
    plan = plan_sections(screen.root, _budget())
    assert not plan["whole"] and plan["rules"] == []  # none of these screens fits 768 tokens whole
    for section in plan["sections"]:
        tokens = pipelines.prompt_tokens([{"role": "user", "content": section["prompt"]}])
        assert tokens == section["prompt_tokens"] and tokens + 512 <= 768, section["name"]
        assert section["prompt"] == section["compact"] and section["expected_tokens"] <= 512
    answers = [_section_answer(screen.root, s) for s in plan["sections"]]
    outcome = _run(plan, answers)
    assert (outcome["status"], outcome["rounds"]) == ("valid", len(answers)), outcome["errors"]
    assembled = load_spec(outcome["spec_yaml"])
    baseline = build_spec(screen.root)
    assert spec_texts(assembled) == spec_texts(baseline)
    if path.stem not in ("checkout", "dashboard", "profile"):
        # these three hold a container of copies that the rules make one repeat; cut into
        # sections, its copies come back as rows, or as a repeat inside the container
        assert _without_ids(yaml.safe_load(outcome["spec_yaml"])) == _without_ids(yaml.safe_load(dump_spec(baseline)))


def test_a_large_context_sends_the_whole_screen_and_uses_its_spec_as_is():
    screen = load_screen(fixture_path("login"))
    plan = plan_sections(screen.root, _budget(32768, 4096))
    assert plan["whole"] and [s["prompt"] for s in plan["sections"]] == [screen.compact]
    whole = dump_spec(build_spec(screen.root))
    outcome = _run(plan, [whole])
    assert (outcome["status"], outcome["source"], outcome["spec_yaml"]) == ("valid", "llm", whole)


def test_a_layer_too_big_alone_is_written_by_rules_and_listed():
    screen = load_screen(fixture_path("login"))
    long_text = " ".join(f"word{i}" for i in range(400))
    title = screen.root.children[1].children[0]
    assert title.text == "Welcome back"
    header = replace(screen.root.children[1], children=[replace(title, text=long_text), *screen.root.children[1].children[1:]])
    root = replace(screen.root, children=[screen.root.children[0], header, *screen.root.children[2:]])
    plan = plan_sections(root, _budget())
    [rule] = plan["rules"]
    assert rule["node"] == title.id and rule["why"].startswith("too big alone: prompt ")
    outcome = _run(plan, [_section_answer(root, s) for s in plan["sections"] if s["llm"]])
    assert outcome["status"] == "valid" and "1 layer(s) too big alone by rules" in outcome["source"]
    assert long_text in spec_texts(load_spec(outcome["spec_yaml"]))


def test_sections_over_max_sections_are_written_by_rules():
    screen = load_screen(fixture_path("dashboard"))
    plan = plan_sections(screen.root, _budget(max_sections=2))
    asked = [s for s in plan["sections"] if s["llm"]]
    assert len(asked) == 2 and len(plan["sections"]) > 2
    assert [r["why"] for r in plan["rules"]] == ["over max_sections=2"] * (len(plan["sections"]) - 2)
    outcome = _run(plan, [_section_answer(screen.root, s) for s in asked])
    assert outcome["status"] == "valid"
    assert [r["status"] for r in outcome["sections"]] == ["valid", "valid"] + ["rules"] * (len(plan["sections"]) - 2)


def test_an_invented_text_fails_the_section_and_rules_stand_in():
    screen = load_screen(fixture_path("login"))
    plan = plan_sections(screen.root, _budget())
    answers = [_section_answer(screen.root, s) for s in plan["sections"]]
    [first] = [i for i, s in enumerate(plan["sections"]) if "Welcome back" in s["texts"]]
    answers[first] = answers[first].replace("Welcome back", "Account")
    asked = []

    async def chat(messages, **sampling):  # the terse repair: the same prompt, the next seed
        asked.append((messages, sampling["seed"]))
        return answers[first]

    outcome = _run(plan, answers, chat, rounds=2)
    assert asked == [([{"role": "user", "content": plan["sections"][first]["prompt"]}], 4)]
    row = outcome["sections"][first]
    assert (outcome["status"], row["status"], row["rounds"]) == ("partial", "failed", 2)
    assert row["errors"][0].startswith("text 'Account' is not in the Figma layer")
    assert "the layer's text 'Welcome back' is missing" in row["errors"][1]
    assert outcome["source"] == f"llm ({len(answers)} sections, 1 by rules)"
    assert spec_texts(load_spec(outcome["spec_yaml"])) == spec_texts(build_spec(screen.root))


def test_budgets_that_leave_no_room_are_refused_with_the_fix():
    with pytest.raises(InputError, match="max_tokens=768 leaves no room"):
        _budget(768, 768)
    full = Prompts(PROMPT_DIR, "full")  # 1,337 tokens of instructions
    with pytest.raises(InputError, match=r"fixed text is \d+ tokens.*\n    fix: -p prompt=terse"):
        plan_sections(load_screen(fixture_path("login")).root, _budget(prompts=full))


def test_unique_ids_rename_later_repeats_in_document_order():
    root = {"id": "a", "children": [{"id": "t", "children": [{"id": "t"}]},
                                    {"id": "r", "template": {"id": "t"}, "items": []}, {"id": "t_2"}]}
    unique_ids(root)
    assert [root["children"][0]["id"], root["children"][0]["children"][0]["id"],
            root["children"][1]["template"]["id"], root["children"][2]["id"]] == ["t", "t_2", "t_3", "t_2_2"]
    long = {"id": "x" * 40, "children": [{"id": "x" * 40}]}
    unique_ids(long)
    assert long["children"][0]["id"] == "x" * 38 + "_2"


def test_section_nodes_take_the_roots_children_and_write_out_colour_tokens():
    spec = {"screen": "s", "width": 10, "height": 10, "colors": {"brand": "#112233"},
            "root": {"type": "column", "id": "c", "children": [{"type": "text", "id": "t", "text": "Hi", "color": "$brand"}]}}
    assert section_nodes(spec) == [{"type": "text", "id": "t", "text": "Hi", "color": "#112233"}]
    spec["root"] = {"type": "text", "id": "t", "text": "Hi", "w": 100, "x": 3, "y": 4}
    assert section_nodes(spec) == [{"type": "text", "id": "t", "text": "Hi"}]
    spec["root"] = {"type": "repeat", "id": "r", "direction": "row", "gap": 4, "pad": 8, "bg": "#FFFFFF",
                    "items": [{"t": "a"}], "template": {"type": "text", "id": "t", "bind": "t"}}
    assert section_nodes(spec) == [{"type": "repeat", "id": "r", "direction": "row", "gap": 4, "items": [{"t": "a"}],
                                    "template": {"type": "text", "id": "t", "bind": "t"}}]


def test_assembly_without_answers_is_the_skeleton_with_the_rules_nodes():
    screen = load_screen(fixture_path("checkout"))
    plan = plan_sections(screen.root, _budget())
    spec = assemble(plan, [None] * len(plan["sections"]))
    checked = check_spec(spec)
    assert checked.ok, checked.messages()
    assert spec_texts(checked.spec) == spec_texts(build_spec(screen.root))


def test_budget_counts_with_the_given_counter():
    budget = Budget(100, 40, lambda messages: sum(len(m["content"]) for m in messages), str)
    measured = budget.measure(load_screen(fixture_path("login")).root.children[0])
    assert measured["prompt_tokens"] == len(measured["compact"])
    assert budget.misfit({"prompt_tokens": 61, "expected_tokens": 1}) == "prompt 61 + max_tokens 40 > context 100 tokens"
    assert budget.misfit({"prompt_tokens": 60, "expected_tokens": 41}) == "its spec needs ~41 tokens > max_tokens 40"
    assert budget.misfit({"prompt_tokens": 60, "expected_tokens": 40}) is None


def test_without_fallback_one_failed_section_fails_the_screen_and_no_valid_section_is_a_failure():
    screen = load_screen(fixture_path("login"))
    plan = plan_sections(screen.root, _budget())
    answers = [_section_answer(screen.root, s) for s in plan["sections"]]
    strict = asyncio.run(sections_spec(plan, ["nope", *answers[1:]], None, PROMPTS, max_rounds=1, fallback=False))
    assert (strict["status"], strict["spec_yaml"]) == ("failed", None)
    assert strict["errors"][0].startswith(f"section {plan['sections'][0]['name']!r}: round1.yaml")
    nothing = _run(plan, ["nope"] * len(answers))
    assert (nothing["status"], nothing["spec_yaml"], nothing["rounds"]) == ("failed", None, len(answers))
