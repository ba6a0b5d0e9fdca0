"""Torch side: parity with numpy inference, router balancing, reproducible and resumable training.

Needs the `train` extra (torch); CI installs it, so these run there.
"""
import dataclasses

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from moe.inference import MoEModel  # noqa: E402
from moe.training import train  # noqa: E402
from moe.training.torch_model import MoETransformer  # noqa: E402

from tests.moe.training.conftest import FIGMA_EXAMPLE  # noqa: E402


def torch_twin(model: MoEModel, dense: bool = False) -> MoETransformer:
    twin = MoETransformer(model.config, dense_experts=dense)
    twin.load_arrays(model.tensors)
    return twin.eval()


def test_numpy_and_torch_logits_agree_on_shipped_weights():
    model = MoEModel.load()
    tok = model.tokenizer
    ids = tok.apply_chat_template([{"role": "user", "content": "Compute 12+7*8-30.\nSolve step by step."}])
    ids += tok.encode("7*8=56\n12+56=68\n68-30=38\n\\boxed{38}")
    with torch.no_grad():
        expected = torch_twin(model)(torch.tensor([ids]))[0][0].numpy()
    got = model.sequence_logits(np.array(ids))
    assert np.abs(got - expected).max() <= 1e-4


def test_dense_and_sparse_experts_agree(small_model):
    ids = torch.from_numpy(np.random.default_rng(0).integers(7, 300, size=(3, 20)))
    with torch.no_grad():
        sparse, loads, _ = torch_twin(small_model)(ids)
        dense, dense_loads, _ = torch_twin(small_model, dense=True)(ids)
    assert torch.allclose(sparse, dense, atol=1e-5)
    assert torch.equal(loads, dense_loads) and loads.sum().item() == 3 * 20 * 2 * small_model.config.n_layers


def test_padding_tokens_do_not_count_towards_expert_load(small_model):
    ids = torch.from_numpy(np.random.default_rng(0).integers(7, 300, size=(2, 10)))
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    with torch.no_grad():
        _, loads, _ = torch_twin(small_model)(ids, token_mask=mask)
    assert (loads.sum(1) == 16 * small_model.config.top_k).all()


def test_router_bias_moves_against_the_load(small_model):
    twin = torch_twin(small_model)
    before = twin.w("layers.0.moe.router_bias").clone()
    loads = torch.zeros(small_model.config.n_layers, small_model.config.n_routed_experts)
    loads[:, 0] = 10.0  # expert 0 overloaded, the rest idle
    twin.update_router_bias(loads, gamma=0.01)
    delta = twin.w("layers.0.moe.router_bias") - before
    assert delta[0].item() == pytest.approx(-0.01) and torch.allclose(delta[1:], torch.full((7,), 0.01))
    assert "layers__0__moe__router_bias" not in dict(twin.named_parameters())


def tiny_run(tmp_path, name: str, steps: int, small_config) -> bytes:
    cfg_path = tmp_path / "tiny.json"
    # long enough for every source of the mixture (Figma screens are ~350 tokens)
    cfg_path.write_text(json.dumps(dataclasses.replace(small_config, max_seq_len=512).to_dict()))
    out = tmp_path / name
    train.main(["--out", str(out), "--config", str(cfg_path), "--steps", str(steps), "--batch", "4",
                "--warmup", "2", "--eval-size", "2", "--threads", "1", "--ckpt-every", "2", "--seed", "7",
                "--own-problems", "3", "--own-samples", "2"], FIGMA_EXAMPLE)
    return (out / "weights" / "model.safetensors").read_bytes()


def test_refine_fine_tunes_trained_weights_on_their_own_samples(tmp_path, small_config):
    tiny_run(tmp_path, "base", 2, small_config)
    out = tmp_path / "refined"
    train.main(["--out", str(out), "--init-from", str(tmp_path / "base" / "weights"), "--curriculum", "refine",
                "--steps", "2", "--batch", "4", "--warmup", "1", "--eval-size", "2", "--threads", "1",
                "--own-problems", "3", "--own-samples", "2", "--seed", "7"], FIGMA_EXAMPLE)
    pool = [json.loads(line) for line in (out / "own_samples.jsonl").read_text().splitlines()]
    assert len(pool) == 3 and all(len(entry["samples"]) == 2 for entry in pool)  # drawn before step 1
    refined = MoEModel.load(out / "weights")
    base = MoEModel.load(tmp_path / "base" / "weights")
    assert refined.config == base.config
    assert any(not np.array_equal(refined.tensors[k], base.tensors[k]) for k in base.tensors)


def test_training_is_reproducible_and_resumes_exactly(tmp_path, small_config):
    straight = tiny_run(tmp_path, "a", 3, small_config)
    assert tiny_run(tmp_path, "b", 3, small_config) == straight
    tiny_run(tmp_path, "c", 2, small_config)  # stop after 2 steps (checkpoint), then resume to 3
    assert tiny_run(tmp_path, "c", 3, small_config) == straight
    log = (tmp_path / "c" / "train.log").read_text()
    assert "eval step 3" in log
    reloaded = MoEModel.load(tmp_path / "c" / "weights")
    assert reloaded.config == dataclasses.replace(small_config, max_seq_len=512)
