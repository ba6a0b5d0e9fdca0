"""Embedded MoE model and server: numpy inference, torch training (optional extra).

BLAS is pinned to one thread: on the 2-core machines the default threading makes the small
matmuls of a tiny model 20-60x slower. The environment variables work when this package is
imported before numpy; if numpy came first, threadpoolctl limits the loaded BLAS instead.
"""

import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

if "numpy" in sys.modules:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
