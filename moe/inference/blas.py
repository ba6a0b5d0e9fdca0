"""BLAS on one thread while the tiny model computes: a scoped threadpoolctl limit, never set at import.

The model's matmuls are small ([tokens, 128] by [128, 256]-sized); a threaded BLAS splits them
across cores and its threads spin and hand off more than they compute: on the 2-core machines
this project runs on, with other work on the cores, it made decoding 5-10x slower at batch 32-64
(docs/serving.md). So whatever runs the
model for a while takes this limit and gives it back when done: the serving engine
(`moe.engine.AsyncEngine`, from start to stop), the static-batch generator
(`moe.inference.generate`, per call) and `MoEModel.sequence_logits` (per call). Nothing else in
the process is touched before or after, and no environment variable is set; a direct
`MoEModel.forward` call (the engine's hot path) runs with whatever BLAS threading its caller set.

Which thread takes it matters. Some BLAS builds keep the thread count per calling thread (OpenMP,
MKL), so the thread that runs the model must take it; OpenBLAS on pthreads (numpy's wheels) has
one process-wide count, and threadpoolctl lets only the first Python thread that sets it change
it while that thread lives. The engine therefore takes the limit twice: in the thread that starts
it and in its worker thread.
"""

from __future__ import annotations

from typing import Protocol

from threadpoolctl import ThreadpoolController


class BlasLimit(Protocol):
    """What `single_blas_thread` returns: threadpoolctl's limiter (also a context manager)."""

    def restore_original_limits(self) -> None: ...


def single_blas_thread() -> BlasLimit:
    """Limit every loaded BLAS to one thread now, for this thread; returns the limiter, which
    restores the previous limits on `restore_original_limits()` or at the end of a `with` block.

    Costs about a millisecond (threadpoolctl scans the loaded libraries).
    """
    return ThreadpoolController().limit(limits=1, user_api="blas")
