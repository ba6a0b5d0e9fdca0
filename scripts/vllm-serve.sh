#!/usr/bin/env bash
# Serves the shipped model (moe-tiny) with vLLM's CPU build, in the foreground, on 127.0.0.1.
#   scripts/vllm-serve.sh [--port P] [--mla-pad] [extra vllm api_server args...]
# Exports moe/weights to Hugging Face DeepSeek-V3 format in .vllm-model/ first when needed
# (python -m moe.export), then runs the OpenAI API server with the flags that give the same
# greedy text as `pipe serve`:
#   fp32                       the weights upcast exactly; bf16 compute drifts
#   VLLM_MLA_DISABLE=1         vLLM's MLA kernels take only 576-wide latents (48+16 here): a
#                              plain K/V cache instead, which keeps prefix caching. With
#                              --mla-pad: the export padded to 512+64 (.vllm-model-mla/) on
#                              vLLM's native MLA, where the CPU build turns prefix caching off
#   python -m ...api_server    the wheel's `vllm` console script cannot find its own metadata
#   no --enforce-eager         the C++ CPU rotary kernel is wrong in eager mode; keep compiled
#   --enable-prompt-tokens-details  cached prompt tokens come back in usage
#   --block-size 32            the smallest the CPU attention kernel takes (default 128): prompts
#                              of RSA share prefixes of tens of tokens, which 128 would never hit
# Needs .venv-vllm (scripts/setup-vllm.sh). Startup takes 2-3 minutes.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT=8000
MLA_PAD=""
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT="${2:?--port needs a number}"; shift 2 ;;
    --mla-pad) MLA_PAD="--mla-pad"; shift ;;   # native MLA on the padded export (no prefix cache on CPU)
    *) break ;;
  esac
done
VLLM_PY="$ROOT/.venv-vllm/bin/python"
if [ ! -x "$VLLM_PY" ]; then
  echo "error: $VLLM_PY not found; run scripts/setup-vllm.sh first" >&2
  exit 2
fi
MODEL_DIR="${PIPE_VLLM_MODEL_DIR:-$ROOT/.vllm-model${MLA_PAD:+-mla}}"
EXPORT_PY="$ROOT/.venv/bin/python"; [ -x "$EXPORT_PY" ] || EXPORT_PY="$VLLM_PY"
if [ ! -f "$MODEL_DIR/model.safetensors" ] || [ "$ROOT/moe/weights/model.safetensors" -nt "$MODEL_DIR/model.safetensors" ] \
   || [ "$ROOT/moe/export.py" -nt "$MODEL_DIR/model.safetensors" ]; then
  (cd "$ROOT" && "$EXPORT_PY" -m moe.export "$MODEL_DIR" $MLA_PAD)
fi
if [ -n "$MLA_PAD" ]; then export VLLM_MLA_DISABLE=0; else export VLLM_MLA_DISABLE=1; fi
export VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-1}"   # GiB of KV cache
export VLLM_LOGGING_LEVEL="${VLLM_LOGGING_LEVEL:-WARNING}"
exec "$VLLM_PY" -m vllm.entrypoints.openai.api_server \
  --model "$MODEL_DIR" --served-model-name moe-tiny --dtype float32 \
  --host 127.0.0.1 --port "$PORT" --max-model-len 768 --seed 0 \
  --enable-prefix-caching --block-size 32 --enable-prompt-tokens-details "$@"
