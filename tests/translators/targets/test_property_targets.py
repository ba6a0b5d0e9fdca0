"""Property tests: random valid specs with hostile strings compile for every target, and no
string escapes its literal.

Compilers are batched: one hypothesis run collects the specs and their files, then one tsc,
one vnu and one node process check them all (each example's Python-side checks still shrink).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from translators.checks import compile as compilers
from translators.checks.readers import ALLOWED_TAGS, expected_strings, expected_tag_count, read_divkit, read_html, read_react
from translators.targets import translate
from translators.targets.divkit import render_divkit_json
from translators.targets.html import render_html
from translators.ui_spec import dump_spec, load_spec
from translators.ui_spec.semantics import check

from tests.translators.targets.strategies import specs

PYTHON_EXAMPLES = 1000
COMPILED_SPECS = 1000
_SETTINGS = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))


@settings(max_examples=PYTHON_EXAMPLES, **_SETTINGS)
@given(spec=specs())
def test_strings_survive_html_divkit_json_and_yaml(spec):
    assert check(spec, ("html", "react_tsx", "divkit")) == []
    expected = expected_strings(spec)
    found, tags = read_html(render_html(spec))
    assert found == expected
    assert len(tags) == expected_tag_count(spec) and set(tags) <= ALLOWED_TAGS
    assert read_divkit(json.loads(render_divkit_json(spec))) == expected
    assert load_spec(dump_spec(spec)) == spec


def test_random_specs_compile_and_build_what_they_say(tmp_path):
    collected: list[tuple[object, dict[str, Path]]] = []

    @settings(max_examples=COMPILED_SPECS, **_SETTINGS)
    @given(spec=specs())
    def collect(spec):
        folder = tmp_path / f"s{len(collected)}"
        folder.mkdir()
        files = {}
        for sources in translate(spec).values():
            for name, source in sources.items():
                (folder / name).write_text(source, encoding="utf-8")
                files[name] = folder / name
        collected.append((spec, files))

    started = time.monotonic()
    collect()
    assert len(collected) >= COMPILED_SPECS
    ts = [p for _, files in collected for p in files.values() if p.suffix in (".ts", ".tsx")]
    html = [p for _, files in collected for p in files.values() if p.suffix == ".html"]

    def culprit(path: Path) -> str:
        spec = next(s for s, files in collected if path in files.values())
        return f"{path.name}:\n{dump_spec(spec)}"

    for path, errors in compilers.tsc_check(ts).items():
        assert not errors, f"{errors[:3]}\n{culprit(path)}"
    for path, messages in compilers.errors_only(compilers.vnu_check(html)).items():
        assert not messages, f"{messages[:3]}\n{culprit(path)}"
    loaded = compilers.run_modules(ts)
    for spec, files in collected:
        expected = expected_strings(spec)
        for path in files.values():
            if path.suffix == ".tsx":
                result = loaded[path]
                assert result["ok"], f"{result.get('error')}\n{culprit(path)}"
                strings, tags = read_react(result["value"])
                assert strings == expected and len(tags) == expected_tag_count(spec), culprit(path)
            elif path.suffix == ".ts":
                result = loaded[path]
                card = json.loads(path.with_name(path.name[:-3] + ".json").read_text(encoding="utf-8"))
                assert result["ok"] and result["value"] == card, culprit(path)
    print(f"\n{len(collected)} specs, {len(ts)} TypeScript + {len(html)} HTML files checked "
          f"in {time.monotonic() - started:.1f}s")
