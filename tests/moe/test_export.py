"""The Hugging Face DeepSeek-V3 export: transformers' `DeepseekV3ForCausalLM` loaded from it is
the numpy model (logits within 1e-4, the same greedy text, the same chat token ids)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, DeepseekV3ForCausalLM

from moe.data import aggregate_prompt, arith_items, solve_prompt
from moe.export import export, rope_rows
from moe.inference import MoEModel, complete

QUESTIONS = [item["question"] for item in arith_items(3, seed=11)]
PROMPTS = [solve_prompt(q) for q in QUESTIONS] + [
    aggregate_prompt(QUESTIONS[0], ["3+4 = 7\n7*2 = 14\n\\boxed{14}", "3+4 = 8\n\\boxed{8}"]),
    "Hello, world. Spaces  ,  punctuation; and {braces} spelled out.",
]
CONVERSATIONS = [
    [{"role": "user", "content": p}] for p in PROMPTS
] + [[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Compute 2+2."},
      {"role": "assistant", "content": "\\boxed{4}"}, {"role": "user", "content": "And 3+3?"}]]


@pytest.fixture(scope="module")
def numpy_model() -> MoEModel:
    return MoEModel.load()


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "mla-pad"])
def exported(request, tmp_path_factory):
    out = export(tmp_path_factory.mktemp("hf"), mla_pad=request.param)
    model = DeepseekV3ForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    return out, model, AutoTokenizer.from_pretrained(out)


def _chat_ids(tokenizer, messages) -> list[int]:
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    return list(ids["input_ids"] if hasattr(ids, "keys") else ids)


def test_rope_rows_interleave_half_split_pairs():
    # pair i of the project is rows (i, i+8); interleaved it is rows (2i, 2i+1)
    assert rope_rows(16, 16).tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15]
    # padded to 64: pair i keeps its frequency as pair 4i, rows (8i, 8i+1)
    assert rope_rows(16, 64).tolist() == [0, 8, 16, 24, 32, 40, 48, 56, 1, 9, 17, 25, 33, 41, 49, 57]


def test_config_maps_onto_deepseek_v3(exported):
    out, model, _ = exported
    config = json.loads((out / "config.json").read_text())
    assert config["architectures"] == ["DeepseekV3ForCausalLM"]
    expected = {"q_lora_rank": None, "qk_nope_head_dim": 16, "v_head_dim": 32, "n_routed_experts": 8,
                "n_shared_experts": 1, "num_experts_per_tok": 2, "moe_intermediate_size": 128,
                "first_k_dense_replace": 0, "scoring_func": "sigmoid", "topk_method": "noaux_tc",
                "norm_topk_prob": True, "routed_scaling_factor": 1.0, "n_group": 1, "topk_group": 1}
    assert {k: config[k] for k in expected} == expected
    padded = (config["kv_lora_rank"], config["qk_rope_head_dim"]) == (512, 64)
    assert padded or (config["kv_lora_rank"], config["qk_rope_head_dim"]) == (48, 16)
    assert model.model.layers[0].mlp.gate.e_score_correction_bias.abs().max().item() > 0


def test_chat_template_gives_the_project_token_ids(exported, numpy_model):
    _, _, tokenizer = exported
    for messages in CONVERSATIONS:
        assert _chat_ids(tokenizer, messages) == numpy_model.tokenizer.apply_chat_template(messages)
    # Known difference: a text chat template is tokenized with its special tokens recognised, so
    # user text that spells one becomes that control token (the project keeps it plain text).
    spelled = [{"role": "user", "content": "<|user|>"}]
    assert _chat_ids(tokenizer, spelled) == [1, 5, 5, 2, 6] != numpy_model.tokenizer.apply_chat_template(spelled)
    with pytest.raises(Exception, match="role tool is not supported"):
        tokenizer.apply_chat_template([{"role": "tool", "content": "x"}], tokenize=False)


def test_decoder_concatenates_pieces(exported, numpy_model):
    _, _, tokenizer = exported
    text = "Compute 12+7*3. Then , say: done!"
    ids = numpy_model.tokenizer.encode(text)
    assert tokenizer.encode(text, add_special_tokens=False) == ids
    assert tokenizer.decode(ids) == numpy_model.tokenizer.decode(ids) == text


def test_logits_match_the_numpy_model(exported, numpy_model):
    _, model, _ = exported
    worst = 0.0
    for messages in CONVERSATIONS:
        ids = numpy_model.tokenizer.apply_chat_template(messages)
        expected = numpy_model.sequence_logits(np.array(ids))
        with torch.no_grad():
            got = model(torch.tensor([ids])).logits[0].numpy()
        worst = max(worst, float(np.abs(got - expected).max()))
        assert (got.argmax(-1) == expected.argmax(-1)).all()
    assert worst < 1e-4, f"max |Δlogit| = {worst}"


def test_greedy_text_matches_the_project_generator(exported, numpy_model):
    _, model, tokenizer = exported
    ours = complete(numpy_model, PROMPTS, max_new_tokens=48, temperature=0.0, rng=np.random.default_rng(0))
    for prompt, expected in zip(PROMPTS, ours):
        ids = torch.tensor([_chat_ids(tokenizer, [{"role": "user", "content": prompt}])])
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=48, do_sample=False, eos_token_id=tokenizer.eos_token_id,
                                 pad_token_id=tokenizer.pad_token_id)
        assert tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True) == expected


def test_cli_writes_the_export_and_rejects_a_bad_checkpoint(tmp_path):
    done = subprocess.run([sys.executable, "-m", "moe.export", str(tmp_path / "out")],
                          capture_output=True, text=True, check=True)
    assert "DeepseekV3ForCausalLM" in done.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
    bad = subprocess.run([sys.executable, "-m", "moe.export", str(tmp_path / "x"), "--weights", str(tmp_path)],
                         capture_output=True, text=True)
    assert bad.returncode == 2
    assert "lacks" in bad.stderr and "config.json" in bad.stderr
    (tmp_path / "a-file").write_text("")
    blocked = subprocess.run([sys.executable, "-m", "moe.export", str(tmp_path / "a-file")],
                             capture_output=True, text=True)
    assert blocked.returncode == 2
    assert f"cannot write {tmp_path / 'a-file'}" in blocked.stderr and "Traceback" not in blocked.stderr
