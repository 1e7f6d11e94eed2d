"""Small pose operations of MPM (losses, mirroring); plain functions."""
from typing import Optional, Sequence

import torch
from torch import Tensor


def mean_joint_error(pred: Tensor, target: Tensor, mask: Optional[Tensor] = None) -> Tensor:
    """Mean Euclidean distance over the last axis (the reference's
    ``mpjpe_cal``), in the units of the inputs.

    Args:
        pred (Tensor): (..., K, d).
        target (Tensor): Same shape as ``pred``.
        mask (Tensor, optional): Bool broadcastable to ``pred.shape[:-1]``;
            only True entries are averaged. None averages every frame and
            joint, masked or not (the reference).

    Returns:
        Tensor: Scalar.
    """
    dist = torch.linalg.vector_norm(pred - target, dim=-1)
    if mask is None:
        return dist.mean()
    mask = mask.to(torch.bool).expand_as(dist)
    return (dist * mask).sum() / mask.sum().clamp(min=1)


def mirror_poses(poses: Tensor, flip_indices: Sequence[int]) -> Tensor:
    """Mirror poses horizontally: negate x, swap left and right joints.

    Args:
        poses (Tensor): (..., K, d), 2D normalised screen coordinates or
            root-relative camera-frame 3D; x is coordinate 0.
        flip_indices (Sequence[int]): Joint k of the result is joint
            ``flip_indices[k]`` of the input (MMPose metainfo).

    Returns:
        Tensor: A new tensor of the same shape.
    """
    mirrored = poses[..., list(flip_indices), :].clone()
    mirrored[..., 0] = -mirrored[..., 0]
    return mirrored
