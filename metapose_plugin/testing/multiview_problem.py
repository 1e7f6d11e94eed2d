"""Random stage-1 problems of multi-view MetaPose (tests and benchmarks)."""
from typing import Tuple

import torch
from torch import Tensor

from metapose_plugin.structures.multiview.multiview_geometry import rotation_from_6d, weak_project


def random_stage1_problem(frames: int, views: int = 4, joints: int = 17, components: int = 4,
                          seed: int = 0) -> Tuple[Tensor, Tensor, Tensor]:
    """Weak projections of random poses with noisy mixtures and monocular 3D.

    Returns:
        tuple: ``mono3d`` (B, V, K, 3) float32, ``mixtures`` (B, V, K, M, 4)
        float64 (weights 1/M, means 0.01 around the projections, variance
        4e-4), and the true poses (B, K, 3); bbox-like units.
    """
    gen = torch.Generator().manual_seed(seed)
    pose = torch.randn(frames, joints, 3, generator=gen) * 0.2
    rot = rotation_from_6d(torch.randn(frames, views, 6, generator=gen))
    scale = 1 + 0.2 * torch.rand(frames, views, generator=gen)
    shift = 0.5 + 0.05 * torch.randn(frames, views, 3, generator=gen)
    proj = weak_project(pose, rot, scale, shift)
    noise = 0.01 * torch.randn(frames, views, joints, components, 2, generator=gen)
    means = proj[..., None, :2] + noise
    mixtures = torch.cat([
        torch.full((frames, views, joints, components, 1), 1.0 / components), means,
        torch.full((frames, views, joints, components, 1), 4e-4)
    ], dim=-1).double()
    mono = proj + 0.03 * torch.randn(frames, views, joints, 3, generator=gen)
    return mono, mixtures, pose
