"""Real Figma frames saved by other projects (tests/translators/fixtures/real, see its README):
ingest, all three targets through the real compilers, and fidelity against the raw file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from translators.baseline import build_spec
from translators.checks.fidelity import compare, html_elements
from translators.checks.reference import reference_elements
from translators.checks.render import Page, render
from translators.figma import ingest
from translators.steps import check_code, write_code
from translators.targets.html import render_html
from translators.ui_spec import ALL_TARGETS

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
NAMES = ("figmagic_opacities", "figmagic_shadows")


@pytest.fixture(scope="module")
def screens(tmp_path_factory):
    out = {}
    for name in NAMES:
        screen = ingest(REAL / f"{name}.json")
        spec = build_spec(screen.root, name)
        files = write_code(spec, tmp_path_factory.mktemp(name), ALL_TARGETS)
        read = render([Page(render_html(spec), spec.width, spec.height)])[0]
        raw = json.loads((REAL / f"{name}.json").read_text(encoding="utf-8"))
        out[name] = screen, spec, files, compare(reference_elements(raw), html_elements(read, spec.root.id))
    return out


def test_real_frames_ingest_without_warnings(screens):
    assert {n: [str(w) for w in s[0].warnings] for n, s in screens.items()} == {n: [] for n in NAMES}
    assert [c.name for c in screens["figmagic_opacities"][0].root.children] == ["Opaque", "Disabled", "Semi Opaque"]


def test_real_frames_compile_in_every_target(screens):
    for name, (_, spec, files, _) in screens.items():
        result = check_code(spec, files)
        assert result["ok"] is True and result["strings_intact"] == {"html": True, "react_tsx": True, "divkit": True}, name


def test_every_shadow_of_a_real_file_reaches_the_css(screens):
    _, _, files, _ = screens["figmagic_shadows"]
    html = Path(files["html"][0]).read_text(encoding="utf-8")
    assert "0px 4px 4px 0px #0000002B, 0px 4px 20px 0px #0000001A" in html  # "DeepMulti": both drop shadows


def test_real_frames_score_against_the_raw_file(screens):
    for name, (*_, score) in screens.items():
        assert (score.boxes_matched, score.box_iou, score.features_kept, score.lost) == (
            score.boxes, pytest.approx(1.0), 1.0, []), (name, score)
        assert score.color_delta_e == pytest.approx(0.0, abs=0.5), name
    assert screens["figmagic_shadows"][3].features == 4 and screens["figmagic_opacities"][3].features == 1
