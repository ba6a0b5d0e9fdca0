#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine: Python venv + packages,
# npm packages (tsc, DivKit builder, vnu-jar), Debian chromium for rendering checks.
# Idempotent: a second run only checks what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[dev,train]'

# vLLM's CPU build in .venv-vllm for the vLLM tests (tests/vllm/) and benchmarks/engines.py.
scripts/setup-vllm.sh

# Node packages for the translators' compile checks (pinned by package-lock.json).
if [ -f translators/checks/package.json ]; then
  (cd translators/checks && npm ci --no-audit --no-fund --silent)
fi

# Debian chromium for the HTML rendering checks (Playwright drives it; never `playwright install`),
# and a Java runtime for the Nu HTML checker (npm vnu-jar).
APT_NEEDED=""
command -v chromium >/dev/null 2>&1 || APT_NEEDED="$APT_NEEDED chromium"
command -v java >/dev/null 2>&1 || APT_NEEDED="$APT_NEEDED default-jre-headless"
if [ -n "$APT_NEEDED" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq $APT_NEEDED >/dev/null
fi
