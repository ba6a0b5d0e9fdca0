"""Embedded MoE model and server: numpy inference, torch training (optional extra).

BLAS is pinned to one thread before numpy is imported anywhere in this package: on the
2-core machines the default threading makes the small matmuls of a tiny model 20-60x slower.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
