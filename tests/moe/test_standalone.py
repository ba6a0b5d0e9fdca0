"""`moe` stands alone: it imports no other package of the project, and importing it changes
nothing in the process (no environment variables, no BLAS limits)."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

MOE = Path(__file__).resolve().parents[2] / "moe"
FOREIGN = ("pipelines", "translators", "evals")

IMPORT_CHECK = """
import json, os, sys
import numpy
from threadpoolctl import threadpool_info

def blas():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

env, threads = dict(os.environ), blas()
import moe
bare_env = dict(os.environ)
import moe.checkpoint, moe.data, moe.errors, moe.inference, moe.engine, moe.server, moe.server.app, moe.server.cli
import moe.training.mixture
print(json.dumps({
    "env_changed_by_import_moe": sorted(k for k in env.keys() | bare_env.keys() if env.get(k) != bare_env.get(k)),
    "env_changed": sorted(k for k in env.keys() | os.environ.keys() if env.get(k) != os.environ.get(k)),
    "foreign": sorted(m for m in sys.modules if m.split(".")[0] in ("pipelines", "translators", "evals")),
    "blas_before": threads, "blas_after": blas(),
}))
"""


def test_importing_moe_and_its_server_changes_nothing_and_loads_no_other_package():
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                             "MKL_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", IMPORT_CHECK], env=env, cwd=MOE.parent, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["env_changed_by_import_moe"] == [] and seen["env_changed"] == []
    assert seen["foreign"] == []
    assert seen["blas_after"] == seen["blas_before"]


def test_no_module_of_moe_names_another_package_of_the_project():
    """Neither an import (at any depth) nor an import string ("pipelines.x:y") of pipelines,
    translators or evals appears anywhere in moe's source."""
    import_string = re.compile(rf"^({'|'.join(FOREIGN)})(\.\w+)*(:\w+)?$")
    found = []
    for path in sorted(MOE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and import_string.match(node.value):
                names = [node.value]
            found += [f"{path.relative_to(MOE.parent)}:{node.lineno}: {n}" for n in names
                      if n.split(".")[0].split(":")[0] in FOREIGN]
    assert found == []
