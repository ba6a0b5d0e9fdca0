"""Numpy inference for the embedded MoE model: the model, its building blocks, caches and samplers.

    model.py         MoEModel: load / random / save, `forward` (one engine step), SeqChunk, StepOutput
    layers.py        norms, RoPE, MLA attention (absorbed and naive), routing, SwiGLU experts
    weights.py       typed per-layer weights built from the checkpoint's named tensors
    latent_cache.py  LatentCache (MLA rows per token and layer) and SlotPool (the engine's slots)
    sampling.py      inverse-CDF sampling, shared with the serving engine
    generate.py      static-batch generation for evals and benchmarks
    blas.py          the scoped one-thread BLAS limit that engine and generator take
"""

from moe.inference.blas import single_blas_thread
from moe.inference.generate import complete, generate
from moe.inference.latent_cache import LatentCache, SlotPool
from moe.inference.model import MoEModel, SeqChunk, StepOutput
from moe.inference.weights import ModelWeights, write_weights

__all__ = [
    "LatentCache", "ModelWeights", "MoEModel", "SeqChunk", "SlotPool", "StepOutput", "complete",
    "generate", "single_blas_thread", "write_weights",
]
