"""The rule-based baseline and the synthetic (Figma JSON, spec) generator."""

from __future__ import annotations

import json

import numpy as np
import pytest

from translators.baseline import build_spec
from translators.figma import compact, ingest
from translators.figma.tokens import approx_tokens
from translators.fixtures import fixture_path, fixture_paths
from translators.synth import figma_example, generate, generate_pair
from translators.ui_spec import check_spec, dump_spec, load_spec


def _nodes(spec):
    def walk(node):
        yield node
        for child in getattr(node, "children", None) or []:
            yield from walk(child)
        if getattr(node, "template", None) is not None:
            yield from walk(node.template)
    return list(walk(spec.root))


def test_baseline_specs_of_all_fixtures_are_valid_for_every_target():
    for path in fixture_paths():
        checked = check_spec(dump_spec(build_spec(ingest(path).root)))
        assert checked.ok, (path.name, checked.messages())


def test_baseline_reads_auto_layout_widgets_and_overlays_on_login():
    spec = build_spec(ingest(fixture_path("login")).root)
    by_id = {n.id: n for n in _nodes(spec)}
    assert spec.screen == "login" and spec.bg == "#FFFFFF" and spec.root.type == "column"
    assert spec.root.gap == 24 and spec.root.pad == (64, 24, 32, 24)
    button = by_id["sign_in_button"]
    assert (button.type, button.text, button.bg, button.w, button.h) == ("button", "Sign in", "#2563EB", "fill", 48)
    assert by_id["email_field"].type == "input" and by_id["email_field"].kind == "email"
    assert by_id["password_field"].kind == "password"
    assert by_id["logo"].type == "stack" and {c.x for c in by_id["logo"].children} == {0, 12}
    assert not any(getattr(n, "text", None) == "Wrong email or password" for n in _nodes(spec))  # hidden layer
    forgot = next(n for n in _nodes(spec) if getattr(n, "text", None) == "Forgot password?")
    assert (forgot.type, forgot.text_align, forgot.w, forgot.weight) == ("text", "right", "fill", 500)


def test_baseline_turns_look_alike_rows_into_a_repeat():
    spec = build_spec(ingest(fixture_path("profile")).root)
    repeats = [n for n in _nodes(spec) if n.type == "repeat"]
    assert len(repeats) == 1
    rep = repeats[0]
    assert [item["value"] for item in rep.items] == ["128", "4.2k", "310"]
    assert rep.template.type == "column" and rep.template.children[0].bind == "value"


def test_baseline_merges_a_checkbox_with_its_label():
    spec = build_spec(ingest(fixture_path("settings")).root)
    boxes = [n for n in _nodes(spec) if n.type == "checkbox"]
    assert [(b.label, b.checked) for b in boxes] == [("Remember this device", True)]


@pytest.mark.parametrize("size, seeds", [("small", range(150)), ("medium", range(40)), ("large", range(15))])
def test_baseline_recovers_clean_synthetic_specs_exactly(size, seeds):
    """With designer-chosen names everywhere the rules are enough: ingest + baseline invert the generator."""
    for seed in seeds:
        figma, spec = generate(seed, size, messy=0.0)
        assert build_spec(ingest(figma).root) == spec, (size, seed)


def test_messy_designs_are_where_rules_fall_short():
    misses = sum(build_spec(ingest(figma).root) != spec for figma, spec in (generate(s, messy=0.6) for s in range(60)))
    assert misses > 5  # frames drawn without components: an LLM has to read their shape


def test_generate_pair_is_seeded_and_valid():
    figma, text = generate_pair(11)
    assert (figma, text) == generate_pair(11)
    assert generate_pair(12) != (figma, text)
    assert check_spec(text).ok
    assert json.loads(json.dumps(figma)) == figma  # plain JSON, as the REST API returns it
    assert compact(figma).startswith("frame:")
    assert load_spec(text).width == 375


def test_small_pairs_fit_a_short_context():
    sizes = [approx_tokens(compact(f)) + approx_tokens(y) for f, y in (generate_pair(s) for s in range(100))]
    assert sorted(sizes)[len(sizes) // 2] <= 320
    assert sum(n <= 384 for n in sizes) >= 75


def test_synthetic_designs_hide_layers_and_use_default_names():
    texts = [compact(generate_pair(s, messy=0.5)[0]) for s in range(40)]
    figmas = [json.dumps(generate_pair(s)[0]) for s in range(40)]
    assert any('"visible": false' in f for f in figmas)
    assert all("Old title" not in t for t in texts)  # hidden layers never reach the prompt
    assert any("frame " in t or "frame\n" in t for t in texts)  # unnamed frames


def test_figma_example_feeds_the_training_mixture():
    prompt, completion = figma_example(np.random.default_rng(5))
    assert prompt.startswith("frame:") and check_spec(completion).ok
    assert (prompt, completion) == figma_example(np.random.default_rng(5))
