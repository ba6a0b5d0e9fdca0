"""Render + fidelity: headless chromium boxes/texts/colours against the Figma frame."""

from __future__ import annotations

import random

import numpy as np
import pytest

from translators.baseline import build_spec
from translators.checks.color import ciede2000, delta_e, parse_color
from translators.checks.fidelity import Element, compare, figma_elements, html_elements, iou, table
from translators.checks.render import Page, render
from translators.figma import ingest
from translators.fixtures import fixture_paths
from translators.synth import generate
from translators.targets.html import render_html

# Sharma, Wu & Dalal (2005) test data (a few of its 34 pairs)
SHARMA = [((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425), ((50, 3.1571, -77.2803), (50, 0, -82.7485), 2.8615),
          ((50, 0, 0), (50, -1, 2), 2.3669), ((50, 2.49, -0.001), (50, -2.49, 0.0009), 7.1792),
          ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644)]


@pytest.mark.parametrize("lab1, lab2, expected", SHARMA)
def test_ciede2000_matches_published_values(lab1, lab2, expected):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)


def test_delta_e_agrees_with_scikit_image():
    # scikit-image: an optional (dev extra), heavy reference implementation, loaded by this test only
    from skimage.color import deltaE_ciede2000, rgb2lab

    rng = random.Random(3)
    for _ in range(300):
        a, b = (tuple(rng.uniform(0, 255) for _ in range(3)) for _ in range(2))
        ref = deltaE_ciede2000(rgb2lab(np.array([[a]]) / 255), rgb2lab(np.array([[b]]) / 255))[0, 0]
        assert delta_e(a, b) == pytest.approx(ref, abs=0.05)


def test_colour_parsing_composites_alpha_over_white():
    assert parse_color("#FF000080") == pytest.approx((255, 127.5, 127.5), abs=0.6)
    assert parse_color("rgba(0, 0, 0, 0)") is None
    assert parse_color("rgb(10, 20, 30)") == (10, 20, 30)


def test_matching_and_scores():
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(1 / 3)
    figma = [Element("text", (0, 0, 50, 10), "Hello", (0, 0, 0)), Element("box", (0, 20, 100, 40), None, (255, 0, 0))]
    same = compare(figma, list(figma))
    assert (same.text_similarity, same.text_iou, same.box_iou, same.color_delta_e) == (1.0, 1.0, 1.0, 0.0)
    off = compare(figma, [Element("text", (0, 100, 50, 10), "Hullo", (0, 0, 255))])
    assert off.texts_matched == 1 and off.text_similarity == pytest.approx(0.8) and off.text_iou == 0
    assert off.boxes_matched == 0 and off.box_iou == 0 and off.color_delta_e > 30
    assert "| s | 1/1 | 0.800 |" in table({"s": off})


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    shots = tmp_path_factory.mktemp("shots")
    cases = [(p.stem, ingest(p).root, build_spec(ingest(p).root, p.stem)) for p in fixture_paths()]
    for seed in range(6):
        figma, spec = generate(seed, "medium", messy=0.0)
        cases.append((f"synthetic_{seed}", ingest(figma).root, spec))
    wrong = cases[0][2].model_copy(deep=True)  # the login spec with every text and colour changed
    for node in _walk(wrong.root):
        if getattr(node, "text", None):
            node.text = "zzzz qqqq"
        if getattr(node, "color", None):
            node.color = "#00FF00"
    cases.append(("login_wrong", cases[0][1], wrong))
    pages = [Page(render_html(spec), spec.width, spec.height, shots / f"{name}.png") for name, _, spec in cases]
    reads = render(pages)
    return {name: (compare(figma_elements(root), html_elements(read, spec.root.id)), shots / f"{name}.png")
            for (name, root, spec), read in zip(cases, reads)}


def _walk(node):
    yield node
    for child in getattr(node, "children", None) or []:
        yield from _walk(child)


def test_fixture_renders_match_their_figma_frames(rendered):
    for path in fixture_paths():
        score, shot = rendered[path.stem]
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert score.texts_matched == score.texts and score.text_similarity == 1.0, (path.stem, score)
        assert score.text_iou >= 0.6 and score.color_delta_e is not None and score.color_delta_e < 2, (path.stem, score)
        assert score.box_iou >= 0.45, (path.stem, score)


def test_synthetic_ground_truth_renders_close_to_the_design(rendered):
    for seed in range(6):
        score, _ = rendered[f"synthetic_{seed}"]
        assert score.text_similarity == 1.0 and score.text_iou >= 0.6 and score.box_iou >= 0.6, (seed, score)


def test_a_wrong_spec_scores_badly(rendered):
    good, _ = rendered["login"]
    bad, _ = rendered["login_wrong"]
    assert bad.text_similarity < 0.5 < good.text_similarity
    assert bad.color_delta_e > 10 > good.color_delta_e
