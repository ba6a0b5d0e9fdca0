"""Translators on real screens, checked by the real compilers (tsc, DivKit builder, vnu, node)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from translators.baseline import build_spec
from translators.checks import compile as compilers
from translators.checks.readers import ALLOWED_TAGS, expected_strings, expected_tag_count, read_divkit, read_html, read_react
from translators.figma import ingest
from translators.fixtures import fixture_paths
from translators.synth import generate
from translators.targets import translate
from translators.targets.escape import divkit_text, divkit_unescape, js_string


def _write(spec, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for files in translate(spec).values():
        for name, source in files.items():
            (folder / name).write_text(source, encoding="utf-8")
            out[name] = folder / name
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Baseline specs of every fixture plus medium synthetic ground truths, written and compiled once."""
    root = tmp_path_factory.mktemp("targets")
    specs = [build_spec(ingest(p).root, p.stem) for p in fixture_paths()]
    specs += [generate(seed, "medium", messy=0.3)[1] for seed in range(40)]
    written = [(spec, _write(spec, root / f"s{i}")) for i, spec in enumerate(specs)]
    ts = [p for _, files in written for p in files.values() if p.suffix in (".ts", ".tsx")]
    html = [p for _, files in written for p in files.values() if p.suffix == ".html"]
    return {"written": written, "tsc": compilers.tsc_check(ts), "vnu": compilers.vnu_check(html),
            "run": compilers.run_modules(ts)}


def test_typescript_and_divkit_builder_accept_everything(built):
    assert len(built["tsc"]) == 2 * len(built["written"])
    assert {str(p): e for p, e in built["tsc"].items() if e} == {}


def test_html_is_valid_without_warnings(built):
    assert {str(p): e for p, e in built["vnu"].items() if e} == {}


def test_divkit_json_is_what_the_typed_builder_produces(built):
    for spec, files in built["written"]:
        ts = files[f"{spec.screen}.divkit.ts"]
        result = built["run"][ts]
        assert result["ok"], result.get("error")
        assert result["value"] == json.loads(files[f"{spec.screen}.divkit.json"].read_text(encoding="utf-8"))


def test_every_target_shows_exactly_the_spec_strings(built):
    for spec, files in built["written"]:
        expected = expected_strings(spec)
        html, tags = read_html(files[f"{spec.screen}.html"].read_text(encoding="utf-8"))
        tsx = next(p for p in files.values() if p.suffix == ".tsx")
        react, react_tags = read_react(built["run"][tsx]["value"])
        card = json.loads(files[f"{spec.screen}.divkit.json"].read_text(encoding="utf-8"))
        assert html == expected and react == expected and read_divkit(card) == expected, spec.screen
        assert len(tags) == len(react_tags) == expected_tag_count(spec)
        assert set(tags) <= ALLOWED_TAGS


def test_layouts_are_flex_not_coordinates(built):
    for spec, files in built["written"][:8]:
        html = files[f"{spec.screen}.html"].read_text(encoding="utf-8")
        placed = len(re.findall(r"position:absolute", html))
        out_of_flow = html.count("left:")
        assert placed == out_of_flow  # only layers the design placed out of flow
        assert html.count("display:flex") >= 3
        assert placed <= 6


def test_the_checks_fail_on_broken_code(tmp_path):
    bad_tsx = tmp_path / "Bad.tsx"
    bad_tsx.write_text('import * as React from "react";\n'
                       'const s = { a: { colr: "red" } } satisfies Record<string, React.CSSProperties>;\n'
                       'export default function B(): React.JSX.Element { return <div style={s.a} />; }\n')
    bad_card = tmp_path / "bad.divkit.ts"
    bad_card.write_text('import { divCard, DivText } from "@divkitframework/jsonbuilder";\n'
                        'export const card = divCard({}, {log_id: "x", states: [{state_id: 0, '
                        'div: new DivText({text: "a", font_sise: 3})}]});\n')
    good = tmp_path / "ok.ts"
    good.write_text("export const n: number = 1;\n")
    found = compilers.tsc_check([bad_tsx, bad_card, good])
    assert any("colr" in e for e in found[bad_tsx]), found
    assert any(e.startswith("2:") and "not assignable to type 'never'" in e for e in found[bad_card]), found
    assert found[good] == []
    bad_html = tmp_path / "bad.html"
    bad_html.write_text('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>x</title></head>'
                        '<body><div id="a"></div><div id="a"><p><div></div></p></div></body></html>')
    assert any(m.startswith("error:") and "Duplicate ID" in m for m in compilers.vnu_check([bad_html])[bad_html])


def test_string_escapers_round_trip():
    for text in ["</script>", "${x}", "`", "@{a}", "\\@{", "\\", "\u2028", "'\"", "{}", "\U0001f600"]:
        literal = js_string(text)
        assert json.loads(literal) == text and "<" not in literal and literal.isascii()
        assert divkit_unescape(divkit_text(text)) == text
    assert divkit_text("a@{b}\\c") == "a\\@{b}\\\\c"
    with pytest.raises(ValueError):
        divkit_unescape("raw @{expression}")
