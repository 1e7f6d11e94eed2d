"""Where a diffusion sampler's Gaussian noise comes from.

A sampler asks for the initial noise and one draw per DDIM step. The
reference draws from the global generator (``torch.randn``), so a sample's
result depends on the batch it is in and on the number of GPUs (SPEC_FINEPOSE
section 7.8); :class:`SeededNoise` gives each sample its own generator seeded
from a stable key instead; :class:`ReplayNoise` returns recorded draws
(parity fixtures).

Note:
    - shapes are (B, H, F, K, 3): samples, hypotheses, frames, joints
"""
import zlib
from typing import Sequence, Tuple

import torch
from torch import Tensor


class GlobalNoise:
    """Draw from the global generator: ``randn`` then ``randn_like`` per
    step, as the reference. Args: device: where to draw."""

    def __init__(self, device: torch.device) -> None:
        self.device = device

    def initial(self, shape: Tuple[int, ...]) -> Tensor:
        """Initial x_T."""
        return torch.randn(shape, device=self.device)

    def step(self, index: int, like: Tensor) -> Tensor:
        """Noise z of DDIM step ``index``."""
        return torch.randn_like(like)


class SeededNoise:
    """One CPU generator per sample, seeded by ``seed`` and the sample's
    key, so its draws do not depend on the batch composition or device.

    Args:
        keys (Sequence[str]): B stable sample keys (e.g. subject, action,
            camera and first frame).
        seed (int): Global seed. Defaults to 0.
        device: Device of the returned tensors.
    """

    def __init__(self, keys: Sequence[str], seed: int = 0, device: torch.device = 'cpu') -> None:
        self.generators = []
        for key in keys:
            generator = torch.Generator()
            generator.manual_seed(zlib.crc32(f'{seed}:{key}'.encode()))
            self.generators.append(generator)
        self.device = device

    def _draw(self, shape: Tuple[int, ...]) -> Tensor:
        if shape[0] != len(self.generators):
            raise ValueError(f'SeededNoise: {len(self.generators)} sample keys for a batch of '
                             f'{shape[0]}')
        return torch.stack([torch.randn(shape[1:], generator=g)
                            for g in self.generators]).to(self.device)

    def initial(self, shape: Tuple[int, ...]) -> Tensor:
        """Initial x_T."""
        return self._draw(tuple(shape))

    def step(self, index: int, like: Tensor) -> Tensor:
        """Noise z of DDIM step ``index``."""
        return self._draw(tuple(like.shape))


class ReplayNoise:
    """Return recorded draws in order: ``values[0]`` initial, then
    ``values[1 + index]`` for step ``index``."""

    def __init__(self, values: Sequence[Tensor]) -> None:
        self.values = list(values)

    def initial(self, shape: Tuple[int, ...]) -> Tensor:
        """Initial x_T (the first recorded draw)."""
        if tuple(self.values[0].shape) != tuple(shape):
            raise ValueError(f'ReplayNoise: recorded initial noise {tuple(self.values[0].shape)}'
                             f', sampler asks for {tuple(shape)}')
        return self.values[0]

    def step(self, index: int, like: Tensor) -> Tensor:
        """Noise z of DDIM step ``index``."""
        return self.values[1 + index].to(like.device)
