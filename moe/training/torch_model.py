"""Torch twin of `moe.inference.model` for training (the `train` extra); same tensor names and math.

Attention uses the naive MLA form (keys/values rebuilt from the latent) since training sees
whole sequences; the numpy model decodes with the absorbed form, and the parity test ties the
two together. Experts run sparsely (only routed tokens) or, on a GPU where kernel launches
and host syncs cost more than arithmetic, densely with zero gates for unrouted experts.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from moe.config import ModelConfig
from moe.checkpoint import param_shapes


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    x32 = x.float()
    return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype) * weight


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class MoETransformer(nn.Module):
    def __init__(self, config: ModelConfig, dense_experts: bool = False):
        super().__init__()
        self.config = config
        self.dense_experts = dense_experts
        for name, shape in param_shapes(config).items():
            key = name.replace(".", "__")
            if name.endswith("router_bias"):  # selection bias: updated by load, not by gradient
                self.register_buffer(key, torch.zeros(shape))
            else:
                self.register_parameter(key, nn.Parameter(torch.empty(shape)))
        half = config.qk_rope_dim // 2
        inv_freq = 1.0 / (config.rope_theta ** (torch.arange(half, dtype=torch.float64) * 2 / config.qk_rope_dim))
        angles = torch.outer(torch.arange(config.max_seq_len, dtype=torch.float64), inv_freq)
        self.register_buffer("rope_cos", angles.cos().float(), persistent=False)
        self.register_buffer("rope_sin", angles.sin().float(), persistent=False)
        self.reset_parameters()

    def w(self, name: str) -> torch.Tensor:
        return getattr(self, name.replace(".", "__"))

    def reset_parameters(self) -> None:
        out_std = 0.02 / np.sqrt(2 * self.config.n_layers)  # residual-branch outputs start small
        for name, p in self.named_parameters():
            if name.endswith("norm__weight"):
                nn.init.ones_(p)
            elif name.endswith(("wo__weight", "w2", "w2__weight")):
                nn.init.normal_(p, 0.0, out_std)
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def state_arrays(self) -> dict[str, np.ndarray]:
        """All tensors under their safetensors names, as float32 numpy arrays."""
        return {name: self.w(name).detach().float().cpu().numpy() for name in param_shapes(self.config)}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        with torch.no_grad():
            for name in param_shapes(self.config):
                self.w(name).copy_(torch.from_numpy(np.asarray(arrays[name], dtype=np.float32)))

    # ---- forward ------------------------------------------------------------------------------
    def forward(self, tokens: torch.Tensor, token_mask: torch.Tensor | None = None):
        """tokens [B, T] -> (logits [B, T, V], loads [n_layers, E], balance loss).

        token_mask [B, T] marks real tokens; only those run through the experts and count
        towards the expert loads.
        """
        cfg = self.config
        b, t = tokens.shape
        x = self.w("embed.weight")[tokens]
        cos, sin = self.rope_cos[:t], self.rope_sin[:t]
        flat_mask = (token_mask.reshape(-1) > 0) if token_mask is not None else None
        loads, balance = [], x.new_zeros((), dtype=torch.float32)
        for i in range(cfg.n_layers):
            p = f"layers.{i}."
            x = x + self.attention(rms_norm(x, self.w(p + "attn_norm.weight"), cfg.norm_eps), p, cos, sin)
            h = rms_norm(x, self.w(p + "ffn_norm.weight"), cfg.norm_eps).reshape(b * t, -1)
            rows = h if flat_mask is None else h[flat_mask]
            y, load, bal = self.moe(rows, p)
            if flat_mask is not None:
                y = torch.zeros_like(h).index_put((flat_mask.nonzero().squeeze(1),), y)
            x = x + y.reshape(b, t, -1)
            loads.append(load)
            balance = balance + bal
        logits = rms_norm(x, self.w("norm.weight"), cfg.norm_eps) @ self.w("lm_head.weight").T
        return logits, torch.stack(loads), balance / cfg.n_layers

    def attention(self, h: torch.Tensor, p: str, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        cfg = self.config
        b, t, _ = h.shape
        nope, rope, r, nh = cfg.qk_nope_dim, cfg.qk_rope_dim, cfg.kv_lora_rank, cfg.n_heads
        q = (h @ self.w(p + "attn.wq.weight").T).view(b, t, nh, nope + rope)
        q_pe = apply_rope(q[..., nope:], cos[:, None], sin[:, None])
        kv = h @ self.w(p + "attn.wkv_a.weight").T
        latent = rms_norm(kv[..., :r], self.w(p + "attn.kv_norm.weight"), cfg.norm_eps)
        k_pe = apply_rope(kv[..., r:], cos, sin)
        kv_b = (latent @ self.w(p + "attn.wkv_b.weight").T).view(b, t, nh, nope + cfg.v_head_dim)
        query = torch.cat([q[..., :nope], q_pe], -1).transpose(1, 2)
        key = torch.cat([kv_b[..., :nope], k_pe[:, :, None].expand(b, t, nh, rope)], -1).transpose(1, 2)
        value = kv_b[..., nope:].transpose(1, 2)
        out = F.scaled_dot_product_attention(query, key, value, is_causal=True,
                                             scale=1.0 / np.sqrt(nope + rope))
        return out.transpose(1, 2).reshape(b, t, -1) @ self.w(p + "attn.wo.weight").T

    def moe(self, x: torch.Tensor, p: str):
        cfg = self.config
        shared = self.swiglu(x, self.w(p + "moe.shared.w1.weight"), self.w(p + "moe.shared.w3.weight"),
                             self.w(p + "moe.shared.w2.weight"))
        scores = torch.sigmoid((x @ self.w(p + "moe.router.weight").T).float())
        selected = torch.topk(scores + self.w(p + "moe.router_bias"), cfg.top_k, dim=-1).indices
        gates = scores.gather(-1, selected)
        gates = (gates / gates.sum(-1, keepdim=True) * cfg.routed_scaling).to(x.dtype)
        one_hot = F.one_hot(selected, cfg.n_routed_experts).to(x.dtype)  # [N, k, E]
        load = one_hot.sum((0, 1)).detach().float()
        w1, w3, w2 = (self.w(p + f"moe.experts.{n}") for n in ("w1", "w3", "w2"))
        if self.dense_experts:
            dense_gates = (one_hot * gates[..., None]).sum(1)  # [N, E], zero where not routed
            hidden = F.silu(torch.einsum("nd,ehd->neh", x, w1)) * torch.einsum("nd,ehd->neh", x, w3)
            routed = torch.einsum("neh,edh,ne->nd", hidden, w2, dense_gates)
        else:  # sort the (token, expert) pairs by expert: one gather and one scatter per layer
            flat_expert = selected.reshape(-1)
            order = torch.argsort(flat_expert, stable=True)
            token_of = order // cfg.top_k
            rows = x[token_of]
            sizes = torch.bincount(flat_expert, minlength=cfg.n_routed_experts).tolist()
            outs = [self.swiglu(part, w1[e], w3[e], w2[e])
                    for e, part in enumerate(torch.split(rows, sizes)) if sizes[e]]
            weighted = torch.cat(outs) * gates.reshape(-1)[order, None]
            routed = torch.zeros_like(x).index_add(0, token_of, weighted)
        # sequence-wise balance loss of DeepSeek-V3 (tiny weight), over the batch's tokens
        fraction = load / max(x.shape[0] * cfg.top_k, 1) * cfg.n_routed_experts
        prob = (scores / scores.sum(-1, keepdim=True)).mean(0)
        return shared + routed, load, (fraction * prob).sum()

    @staticmethod
    def swiglu(x, w1, w3, w2):
        return (F.silu(x @ w1.T) * (x @ w3.T)) @ w2.T

    @torch.no_grad()
    def update_router_bias(self, loads: torch.Tensor, gamma: float) -> None:
        """Aux-loss-free balancing: raise the bias of under-loaded experts, lower over-loaded."""
        for i in range(self.config.n_layers):
            bias = self.w(f"layers.{i}.moe.router_bias")
            bias += gamma * torch.sign(loads[i].mean() - loads[i])
