"""Pose operations shared by every method: mirroring and joint errors.

Work on NumPy arrays and PyTorch tensors alike where noted.
"""
from typing import Optional, Sequence, TypeVar

import torch
from torch import Tensor

Poses = TypeVar('Poses')


def mirror_poses(poses: Poses, flip_indices: Sequence[int]) -> Poses:
    """Mirror poses horizontally: swap left and right joints, negate x.

    The one mirror of the plugin (flip test of every lifter, flip
    augmentation of MPM, the references' ``flip`` of 2D and 3D alike).

    Args:
        poses (Tensor | np.ndarray): (..., K, d), 2D normalised screen
            coordinates or root-relative camera-frame 3D; x is coordinate 0.
        flip_indices (Sequence[int]): Joint k of the result is joint
            ``flip_indices[k]`` of the input (MMPose metainfo).

    Returns:
        Tensor | np.ndarray: A new array of the same type and shape (the
        input is never modified).
    """
    mirrored = poses[..., list(flip_indices), :]  # advanced indexing copies
    mirrored[..., 0] = -mirrored[..., 0]
    return mirrored


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
