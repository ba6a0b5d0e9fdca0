"""`pipe`: declarative YAML pipelines of LLM calls, metered in dollars.

The public API is `pipelines.api`; the CLI (`pipelines.cli`) is a thin shell over it.
"""

import os

# The embedded MoE server runs numpy in this process. BLAS must be pinned to one thread before
# numpy is first imported (by any package): threaded BLAS makes its small matmuls 20-60x slower
# on 2 cores. The user's own settings win.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
