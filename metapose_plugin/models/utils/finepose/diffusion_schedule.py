"""Gaussian diffusion arithmetic of FinePOSE (DDPM forward process, DDIM
sampling).

Cosine schedule: Nichol and Dhariwal, ICML 2021; DDIM: Song et al., ICLR
2021; the pose variant with x0 prediction and clamping follows D3DP (Shan et
al., ICCV 2023) and FinePOSE (Xu et al., CVPR 2024). The precision pattern is
the reference's and is part of its numerics: schedule buffers in float64,
``q_sample`` and the noise estimate computed in float64 and cast to float32,
DDIM scalars in float64 applied to float32 tensors.
"""
import math
from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn


def cosine_alphas_cumprod(num_timesteps: int, s: float = 0.008,
                          max_beta: float = 0.999) -> Tensor:
    """Cumulative products of ``1 - beta_t`` of the cosine schedule.

    Betas are ``1 - abar(t + 1) / abar(t)`` with ``abar(x) = cos(((x / T) +
    s) / (1 + s) * pi / 2) ** 2``, clipped to ``[0, max_beta]``; the returned
    products are recomputed from the clipped betas.

    Returns:
        Tensor: float64 in shape (T,).
    """
    x = torch.linspace(0, num_timesteps, num_timesteps + 1, dtype=torch.float64)
    abar = torch.cos(((x / num_timesteps) + s) / (1 + s) * math.pi * 0.5)**2
    abar = abar / abar[0]
    betas = torch.clip(1 - (abar[1:] / abar[:-1]), 0, max_beta)
    return torch.cumprod(1. - betas, dim=0)


def sinusoidal_embedding(t: Tensor, dims: int) -> Tensor:
    """Transformer sinusoid of diffusion times: ``[sin(t w_i), cos(t w_i)]``
    with ``w_i = exp(-i ln(10000) / (dims/2 - 1))``, sines first.

    Args:
        t (Tensor): Times in shape (B,), any numeric dtype.
        dims (int): Output channels C (even).

    Returns:
        Tensor: float32 in shape (B, C).
    """
    half = dims // 2
    freqs = torch.exp(
        torch.arange(half, device=t.device, dtype=torch.float32) * -(math.log(10000) /
                                                                     (half - 1)))
    angles = t[:, None] * freqs[None, :]
    return torch.cat((angles.sin(), angles.cos()), dim=-1)


class SinusoidalEmbedding(nn.Module):
    """Module form of :func:`sinusoidal_embedding` (first layer of a time
    MLP). Args: dims (int): output channels C."""

    def __init__(self, dims: int) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, t: Tensor) -> Tensor:
        """Times (B,) -> embeddings (B, C)."""
        return sinusoidal_embedding(t, self.dims)


def ddim_time_pairs(num_timesteps: int, num_steps: int) -> List[Tuple[int, int]]:
    """Consecutive (t, t_next) pairs of ``int(linspace(-1, T - 1, K + 1))``
    reversed; the last pair has ``t_next = -1`` (T = 1000, K = 10: 999, 899,
    ..., 99, -1)."""
    times = torch.linspace(-1, num_timesteps - 1, steps=num_steps + 1).int().tolist()
    times = list(reversed(times))
    return list(zip(times[:-1], times[1:]))


class DiffusionSchedule(nn.Module):
    """Cosine-schedule buffers (float64) and the per-step formulas.

    Buffers are not saved in checkpoints and are rebuilt, still float64, after
    any ``.to()``, ``.float()`` or ``.half()`` of the parent model.

    Note:
        - B: batch, H: hypotheses, F: frames, K: joints
        - x: poses in shape (B, ..., 3), root-relative metres (scaled by
          ``scale``)

    Args:
        num_timesteps (int): T. Defaults to 1000.
        scale (float): Signal scale; poses are clamped to ``+-1.1 scale``.
            Defaults to 1.0.
        cosine_s (float): Offset s of the cosine schedule. Defaults to 0.008.
    """

    def __init__(self, num_timesteps: int = 1000, scale: float = 1.0,
                 cosine_s: float = 0.008) -> None:
        super().__init__()
        self.num_timesteps = num_timesteps
        self.scale = scale
        self.cosine_s = cosine_s
        self._register(torch.device('cpu'))

    def _register(self, device: torch.device) -> None:
        abar = cosine_alphas_cumprod(self.num_timesteps, self.cosine_s).to(device)
        buffers = dict(
            alphas_cumprod=abar,
            sqrt_alphas_cumprod=abar.sqrt(),
            sqrt_one_minus_alphas_cumprod=(1. - abar).sqrt(),
            sqrt_recip_alphas_cumprod=(1. / abar).sqrt(),
            sqrt_recipm1_alphas_cumprod=(1. / abar - 1).sqrt())
        for name, value in buffers.items():
            self.register_buffer(name, value, persistent=False)

    def _apply(self, fn, recurse=True):
        super()._apply(fn, recurse)
        if self.alphas_cumprod.dtype != torch.float64:
            self._register(self.alphas_cumprod.device)
        return self

    @staticmethod
    def _per_sample(buffer: Tensor, t: Tensor, ndim: int) -> Tensor:
        """``buffer[t]`` (float64) shaped (B, 1, ..., 1) to broadcast over a
        tensor of ``ndim`` dimensions."""
        return buffer.gather(-1, t).reshape(t.shape[0], *((1, ) * (ndim - 1)))

    def clamp(self, x: Tensor) -> Tensor:
        """Clamp to ``[-1.1 scale, 1.1 scale]``."""
        return torch.clamp(x, min=-1.1 * self.scale, max=1.1 * self.scale)

    def q_sample(self, x0: Tensor, t: Tensor, noise: Tensor) -> Tensor:
        """Noisy poses ``sqrt(abar_t) x0 + sqrt(1 - abar_t) eps`` (float64),
        clamped, divided by ``scale`` and cast to float32.

        Args:
            x0 (Tensor): Clean poses (B, ...), metres.
            t (Tensor): Times (B,), int64.
            noise (Tensor): eps, same shape as ``x0``.
        """
        x0 = x0 * self.scale
        x = (self._per_sample(self.sqrt_alphas_cumprod, t, x0.dim()) * x0 +
             self._per_sample(self.sqrt_one_minus_alphas_cumprod, t, x0.dim()) * noise)
        return (self.clamp(x) / self.scale).float()

    def predict_noise(self, x_t: Tensor, t: Tensor, x0: Tensor) -> Tensor:
        """eps estimate ``(sqrt(1/abar_t) x_t - x0) / sqrt(1/abar_t - 1)``
        in float64 (``x_t`` unclamped), cast to float32."""
        n = x_t.dim()
        eps = ((self._per_sample(self.sqrt_recip_alphas_cumprod, t, n) * x_t - x0) /
               self._per_sample(self.sqrt_recipm1_alphas_cumprod, t, n))
        return eps.float()

    def ddim_step(self, x0: Tensor, eps: Tensor, t: int, t_next: int, eta: float,
                  noise: Optional[Tensor]) -> Tensor:
        """One DDIM update from time ``t`` to ``t_next >= 0`` (the same for
        the whole batch): ``x0 sqrt(abar') + c eps + sigma z`` with ``sigma =
        eta sqrt((1 - abar/abar')(1 - abar')/(1 - abar))`` and ``c =
        sqrt(1 - abar' - sigma^2)``. The float64 scalars multiply float32
        tensors (PyTorch rounds them to float32 first).

        Args:
            x0 (Tensor): Clamped x0 estimate (float32).
            eps (Tensor): Noise estimate, same shape.
            t, t_next (int): Current and next time.
            eta (float): DDIM stochasticity (1: DDPM-like, 0: deterministic).
            noise (Tensor, optional): z, same shape; may be None when
                ``eta == 0``.
        """
        alpha, alpha_next = self.alphas_cumprod[t], self.alphas_cumprod[t_next]
        sigma = eta * ((1 - alpha / alpha_next) * (1 - alpha_next) / (1 - alpha)).sqrt()
        c = (1 - alpha_next - sigma**2).sqrt()
        x = x0 * alpha_next.sqrt() + c * eps
        if noise is None:
            if eta != 0:
                raise ValueError('DiffusionSchedule.ddim_step: noise is required when eta != 0')
            return x
        return x + sigma * noise
