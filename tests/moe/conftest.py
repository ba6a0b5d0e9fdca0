import re

import numpy as np
import pytest

from moe.config import ModelConfig
from moe.inference import MoEModel


@pytest.fixture(scope="session")
def small_config() -> ModelConfig:
    """A tiny architecture with the shipped tokenizer's vocabulary: fast, same code paths."""
    return ModelConfig(d_model=32, n_layers=2, n_heads=2, kv_lora_rank=12, qk_nope_dim=8,
                       qk_rope_dim=8, v_head_dim=8, n_routed_experts=8, top_k=2, expert_hidden=16,
                       max_seq_len=96)


@pytest.fixture(scope="session")
def small_model(small_config) -> MoEModel:
    """Random weights plus a non-zero router selection bias, as a trained model has."""
    base = MoEModel.random(small_config, seed=3)
    tensors = dict(base.tensors)
    rng = np.random.default_rng(5)
    for i in range(small_config.n_layers):
        tensors[f"layers.{i}.moe.router_bias"] = rng.normal(0, 0.05, small_config.n_routed_experts).astype(np.float32)
    return MoEModel(small_config, tensors, base.tokenizer)


def evaluate(question: str) -> int:
    """The answer of "Compute <expression>." by Python's own arithmetic."""
    expression = re.fullmatch(r"Compute ([0-9+\-*]+)\.", question).group(1)
    return eval(expression)  # digits and + - * only, checked by the regex
