"""The layer norm of the MPM reference (the annotated-transformer form)."""
from typing import Tuple

import torch
from torch import Tensor, nn


class _StdLayerNormFunction(torch.autograd.Function):
    """``weight * (x - mean) / (std + eps) + bias`` (unbiased std) with an
    analytic backward that keeps only the input and per-row statistics
    (autograd of the plain expression keeps four (N, C) tensors)."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor, eps: float) -> Tensor:
        mean = x.mean(-1, keepdim=True)
        std = x.std(-1, keepdim=True)
        ctx.save_for_backward(x, weight, mean, std)
        ctx.eps = eps
        return weight * (x - mean) / (std + eps) + bias

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tuple[Tensor, Tensor, Tensor, None]:
        x, weight, mean, std = ctx.saved_tensors
        centred = x - mean
        denom = std + ctx.eps
        normed = centred / denom
        grad_weight = (grad * normed).reshape(-1, x.shape[-1]).sum(0)
        grad_bias = grad.reshape(-1, x.shape[-1]).sum(0)
        grad_normed = grad * weight
        # d std / d centred_j = centred_j / ((C - 1) std)
        grad_denom = -(grad_normed * centred).sum(-1, keepdim=True) / denom**2
        grad_centred = grad_normed / denom + grad_denom * centred / ((x.shape[-1] - 1) * std)
        grad_x = grad_centred - grad_centred.mean(-1, keepdim=True)
        return grad_x, grad_weight, grad_bias, None


class MPMLayerNorm(nn.Module):
    """``weight * (x - mean) / (std + eps) + bias`` over the last axis.

    Unlike :class:`torch.nn.LayerNorm`, ``std`` is the *unbiased* standard
    deviation (divides by C - 1) and ``eps`` is added to the standard
    deviation, not to the variance. MPM (Zhang et al., arXiv 2306.17201)
    uses this norm in every transformer; reproducing it is required for
    checkpoint parity. The forward is that expression; its backward is
    analytic (:class:`_StdLayerNormFunction`) to save activation memory.

    Args:
        channels (int): Size C of the normalised last axis (C >= 2).
        eps (float): Added to the standard deviation. Defaults to 1e-6.
    """

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        """Normalise (..., C) -> (..., C)."""
        return _StdLayerNormFunction.apply(x, self.weight, self.bias, self.eps)
