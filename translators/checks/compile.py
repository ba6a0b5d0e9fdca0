"""Run the real compilers over generated files, many files per process.

- `tsc_check`: one `tsc --noEmit` over every .tsx/.ts file (React types, DivKit builder types).
- `vnu_check`: one Nu HTML checker run over every .html file.
- `run_modules`: one `tsc` emit + one `node` process that loads every module and returns what
  it builds (React element trees, DivKit card JSON), to compare with what the spec says.

Files are copied into a scratch folder that links translators/checks/node_modules, so the
caller's files may live anywhere (an artifacts folder, a pytest tmp_path).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from translators.errors import ToolMissing

CHECKS_DIR = Path(__file__).parent
NODE_MODULES = CHECKS_DIR / "node_modules"
TSC = NODE_MODULES / ".bin" / "tsc"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
HARNESS = CHECKS_DIR / "harness.cjs"
_TS_COMMON = ["--ignoreConfig", "--strict", "--jsx", "react-jsx", "--target", "es2022", "--skipLibCheck",
              "--pretty", "false"]
_TS_DIAG = re.compile(r"^(?P<file>[^\s(][^(]*)\((?P<line>\d+),(?P<col>\d+)\): (?P<msg>.*)$")
_FIX = f"{ToolMissing.SETUP} (or `npm ci` in translators/checks)"


def _need(path: Path, what: str, tool: str) -> None:
    if not path.exists():
        raise ToolMissing(f"{what} not found at {path}\n    fix: {_FIX}", tool)


def _need_program(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise ToolMissing(f"`{name}` is not on PATH\n    fix: install it ({_FIX})", name)
    return found


class _Scratch:
    """A temp folder with node_modules linked in and the given files copied under unique names."""

    def __init__(self, files: list[Path]):
        self.dir = Path(tempfile.mkdtemp(prefix="pipe-checks-"))
        (self.dir / "node_modules").symlink_to(NODE_MODULES)
        self.by_copy: dict[str, Path] = {}
        for i, path in enumerate(files):
            name = f"f{i}_{path.name}"
            shutil.copyfile(path, self.dir / name)
            self.by_copy[name] = path

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def tsc_check(files: list[Path], timeout: float = 300) -> dict[Path, list[str]]:
    """Type-check all files in one tsc run; {file: [error lines]} (empty list = clean)."""
    _need(TSC, "tsc (npm typescript)", "tsc")
    node = _need_program("node")
    if not files:
        return {}
    scratch = _Scratch(files)
    try:
        args = [node, str(TSC), "--noEmit", *_TS_COMMON, "--module", "esnext", "--moduleResolution", "bundler",
                *scratch.by_copy]
        proc = subprocess.run(args, cwd=scratch.dir, capture_output=True, text=True, timeout=timeout)
        return _attribute(proc.stdout + proc.stderr, scratch, proc.returncode)
    finally:
        scratch.close()


def _attribute(output: str, scratch: _Scratch, returncode: int) -> dict[Path, list[str]]:
    result: dict[Path, list[str]] = {path: [] for path in scratch.by_copy.values()}
    orphans = []
    for line in output.splitlines():
        match = _TS_DIAG.match(line.strip())
        copy = Path(match.group("file")).name if match else ""
        if match and copy in scratch.by_copy:
            result[scratch.by_copy[copy]].append(f"{match.group('line')}:{match.group('col')}: {match.group('msg')}")
        elif line.strip():
            orphans.append(line.strip())
    if returncode != 0 and not any(result.values()):
        raise RuntimeError("tsc failed without file diagnostics:\n" + "\n".join(orphans[:20]))
    return result


def vnu_check(files: list[Path], timeout: float = 300) -> dict[Path, list[str]]:
    """Validate all HTML files in one Nu HTML checker run; {file: ["error: ..." / "warning: ..."]}.

    Language detection is off: generated screens hold arbitrary design text."""
    _need(VNU_JAR, "vnu.jar (npm vnu-jar)", "vnu")
    java = _need_program("java")
    if not files:
        return {}
    proc = subprocess.run([java, "-jar", str(VNU_JAR), "--format", "json", "--no-langdetect", *map(str, files)],
                          capture_output=True, text=True, timeout=timeout)
    try:
        messages = json.loads(proc.stderr or proc.stdout or "{}").get("messages", [])
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"vnu printed no JSON: {(proc.stderr or proc.stdout)[:500]}") from exc
    result: dict[Path, list[str]] = {Path(f).resolve(): [] for f in files}
    for msg in messages:
        if msg.get("type") == "info" and msg.get("subType") != "warning":
            continue  # notes such as "uses the Private Use Area" are not defects
        url = str(msg.get("url", ""))
        target = Path(url.removeprefix("file:")).resolve() if url else None
        kind = "error" if msg.get("type") == "error" else "warning"
        text = f"{kind}: {msg.get('lastLine', '?')}:{msg.get('firstColumn', '?')}: {msg.get('message')}"
        if target in result:
            result[target].append(text)
        elif msg.get("type") in ("error", "non-document-error"):
            raise RuntimeError(f"vnu: {text}")
    return {Path(f): result[Path(f).resolve()] for f in files}


def run_modules(files: list[Path], timeout: float = 300) -> dict[Path, dict[str, Any]]:
    """Compile .tsx/.ts files to CommonJS and load them in node.

    {file: {"ok": True, "value": <element tree or card JSON>} | {"ok": False, "error": ...}}.
    """
    _need(TSC, "tsc (npm typescript)", "tsc")
    node = _need_program("node")
    if not files:
        return {}
    scratch = _Scratch(files)
    try:
        out = scratch.dir / "out"
        args = [node, str(TSC), *_TS_COMMON, "--module", "commonjs", "--outDir", str(out),
                *scratch.by_copy]
        proc = subprocess.run(args, cwd=scratch.dir, capture_output=True, text=True, timeout=timeout)
        manifest = []
        for copy in scratch.by_copy:
            js = out / (copy.rsplit(".", 1)[0] + ".js")
            manifest.append({"module": str(js), "kind": "tsx" if copy.endswith(".tsx") else "divkit"})
        (scratch.dir / "manifest.json").write_text(json.dumps(manifest))
        run = subprocess.run([node, str(HARNESS), str(scratch.dir / "manifest.json")], cwd=scratch.dir,
                             capture_output=True, text=True, timeout=timeout)
        if run.returncode != 0:
            raise RuntimeError(f"harness failed: {run.stderr[:2000]}\ntsc: {proc.stdout[:2000]}")
        by_module = {m["module"]: Path(m["module"]).name for m in manifest}
        result = {}
        for line in run.stdout.split("\n"):  # not splitlines(): U+2028 may sit inside a JSON string
            if not line.strip():
                continue
            entry = json.loads(line)
            copy = by_module[entry["module"]].rsplit(".", 1)[0]
            source = next(p for c, p in scratch.by_copy.items() if c.rsplit(".", 1)[0] == copy)
            result[source] = {k: v for k, v in entry.items() if k != "module"}
        return result
    finally:
        scratch.close()


def errors_only(messages: dict[Path, list[str]]) -> dict[Path, list[str]]:
    """vnu results without the warnings (e.g. private-use characters, which icon fonts use)."""
    return {path: [m for m in found if m.startswith("error:")] for path, found in messages.items()}
