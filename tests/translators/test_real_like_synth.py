"""Real-looking synthetic sections (translators.synth.real_like): deterministic, within the
embedded model's budget, valid specs that show exactly the layer's texts, and prompts with the
features real Figma files have."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import pipelines
from translators.figma import compact, ingest
from translators.llm import Prompts
from translators.sections.plan import spec_texts
from translators.synth import real_like_example
from translators.synth.real_like import draw_file, real_like_section
from translators.ui_spec import ALL_TARGETS, check_spec

SEEDS = range(200)
_QUOTED = re.compile(r'^ *\S+ ("(?:[^"\\]|\\.)*")', re.M)


@pytest.fixture(scope="module")
def pairs() -> list[tuple[str, str]]:
    return [real_like_example(np.random.default_rng(seed)) for seed in SEEDS]


def _prompt_texts(prompt: str) -> set[str]:
    """The texts the compact tree shows (the quoted string after a line's kind)."""
    return {json.loads(quoted) for quoted in _QUOTED.findall(prompt)}


def test_real_like_synth_is_deterministic_per_rng_state():
    first = [real_like_example(np.random.default_rng(seed)) for seed in range(15)]
    again = [real_like_example(np.random.default_rng(seed)) for seed in range(15)]
    assert first == again
    assert len({prompt for prompt, _ in first}) == 15
    rng = np.random.default_rng(3)
    assert real_like_example(rng) != real_like_example(rng)  # the generator's state moves on


def test_real_like_synth_fits_the_embedded_budget(pairs):
    for prompt, completion in pairs:
        prompt_tokens = pipelines.prompt_tokens([{"role": "user", "content": prompt}])
        completion_tokens = pipelines.prompt_tokens([{"role": "assistant", "content": completion}])
        assert prompt_tokens + 512 <= 768, (prompt_tokens, prompt)
        assert completion_tokens <= 512, (completion_tokens, completion)


def test_real_like_synth_specs_are_valid_and_show_exactly_the_layer_texts(pairs):
    for prompt, completion in pairs:
        checked = check_spec(completion, targets=ALL_TARGETS)
        assert checked.ok, (prompt, checked.messages())
        assert spec_texts(checked.spec) == _prompt_texts(prompt), (prompt, completion)


def test_real_like_synth_prompts_carry_real_file_features(pairs):
    prompts = [prompt for prompt, _ in pairs]
    features = {"absolute position": r" @-?\d+,-?\d+", "drop shadow": r"shadow=\d", "inner shadow": r"shadow=in,|;in,",
                "linear gradient": r"grad=linear\d+:", "radial gradient": r"grad=radial:", "image fill": r" img\b",
                "opacity": r" op=0\.\d+", "stroke": r"stroke=\d+,#", "per-corner radii": r" r=\d+,\d+,\d+,\d+",
                "instance": r"\binst:\w", "ellipse": r"^ *ellipse", "vector": r"^ *vector", "line": r"^ *line",
                "group": r"^ *group", "auto layout": r" (column|row) ", "font family": r" font=\w",
                "text case": r" case=(upper|lower|title)", "letter spacing": r" ls=-?\d", "constraints": r" pin=\w",
                "icon ink": r" ink=#", "alpha colour": r"#[0-9A-F]{8}\b",
                "component properties": r" props=\w", "fill sizing": r" [wh]=fill", "nested auto layout":
                r"^( *)\S+ .*\b(column|row)\b.*\n\1 \S+ .*\b(column|row)\b"}
    for name, pattern in features.items():
        share = sum(bool(re.search(pattern, p, re.M)) for p in prompts) / len(prompts)
        assert share >= 0.02, f"{name}: in {share:.1%} of prompts"
    assert sum(bool(re.search(features["absolute position"], p)) for p in prompts) > len(prompts) / 2
    sizes = {re.search(r" (\d+x\d+)", p.splitlines()[0]).group(1) for p in prompts}
    assert len(sizes) > 40 and "375x812" in sizes


def test_real_like_synth_copy_is_varied_real_english(pairs):
    texts = [t for prompt, _ in pairs for t in _prompt_texts(prompt)]
    assert len(texts) > 200 and len(set(texts)) > 0.7 * len(texts)
    assert all(1 <= len(t) <= 60 and t == t.strip() for t in texts)
    kinds = {"title case": r"^[A-Z][a-z]+( [A-Z][a-z']+)+$", "sentence": r"^[A-Z][a-z]+ .+[.!?]$",
             "price": r"[$€£]\d|\d USD", "date": r"\b(20\d\d|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|\d:\d\d)\b",
             "number": r"^[#+]?\d[\d,.]*(k|%| min| items| ★)?$"}
    for name, pattern in kinds.items():
        assert sum(bool(re.search(pattern, t)) for t in texts) >= 10, name


def test_real_like_synth_prompt_is_the_ingest_of_the_drawn_file():
    """The whole frame, when it fits, is exactly what the recipe's ingest shows the model."""
    whole = 0
    for seed in range(40):
        figma = draw_file(np.random.default_rng(seed))
        drawn = real_like_section(np.random.default_rng(seed))  # the same draw, then cut
        if drawn is None:
            continue
        prompt = drawn[0]
        if prompt == compact(figma):
            whole += 1
        else:  # a section: the frame's line, then a run of some layer's children
            lines = ingest(figma).compact.splitlines()
            assert all(line.strip() in {l.strip() for l in lines} for line in prompt.splitlines()[1:]), prompt
    assert whole >= 5


def test_the_prompt_is_what_the_recipe_sends_the_embedded_model():
    """Training prompts are the recipe's terse prompt (recipes/prompts), which is the compact
    tree alone: a wording added to the template must reach the training data too."""
    prompt, _ = real_like_example(np.random.default_rng(3))
    recipe_prompts = Prompts(Path(__file__).resolve().parents[2] / "recipes" / "prompts", "terse")
    assert recipe_prompts.single(prompt) == prompt
