"""Flat solution and task vectors of multi-view MetaPose's stage 2.

The reference (``train_metapose.py``) packs every tensor row-major and
concatenates them:

* solution ``x`` (B, 3K + 10V): ``[pose (K, 3) | rot6d (V, 2, 3) | scale
  parameter (V,) | shift (V, 3)]`` (inverse-softplus scale, 6D rotation);
* task (B, V*K*M*4 [+ 16]): the mixtures (V, K, M, 4) in bbox units, then the
  16 normalised ground-truth bone lengths when bones are used;
* forward ``fwd`` (B, V*K*2): the weak projections' x, y.

Note:
    B frames, V views, K joints, M mixture components.
"""
from typing import NamedTuple, Optional

import torch
from torch import Tensor

from metapose_plugin.structures.multiview.multiview_geometry import (mixture_nll, param_to_scale,
                                                                     rotation_from_6d,
                                                                     rotation_to_6d, scale_to_param,
                                                                     weak_project)

NUM_BONES = 16


class Solution(NamedTuple):
    """An unpacked solution: ``pose`` (B, K, 3), ``rot6d`` (B, V, 2, 3),
    ``scale_param`` (B, V), ``shift`` (B, V, 3)."""
    pose: Tensor
    rot6d: Tensor
    scale_param: Tensor
    shift: Tensor

    @property
    def rot(self) -> Tensor:
        """(B, V, 3, 3) rotations."""
        return rotation_from_6d(self.rot6d)

    @property
    def scale(self) -> Tensor:
        """(B, V) positive scales."""
        return param_to_scale(self.scale_param)


def solution_size(num_views: int, num_joints: int) -> int:
    """Length of a packed solution: ``3K + 10V``."""
    return 3 * num_joints + 10 * num_views


def pack_solution(pose: Tensor, rot: Tensor, scale: Tensor, shift: Tensor) -> Tensor:
    """Pack (B, K, 3) pose, (B, V, 3, 3) rotations, (B, V) scales, (B, V, 3) shifts."""
    parts = [pose, rotation_to_6d(rot), scale_to_param(scale), shift]
    return torch.cat([p.reshape(p.shape[0], -1) for p in parts], dim=1)


def unpack_solution(x: Tensor, num_views: int, num_joints: int) -> Solution:
    """(B, 3K + 10V) -> :class:`Solution`."""
    if x.shape[-1] != solution_size(num_views, num_joints):
        raise ValueError(f'solution: expected {solution_size(num_views, num_joints)} values '
                         f'for V={num_views}, K={num_joints}, got {x.shape[-1]}')
    batch = x.shape[0]
    sizes = [3 * num_joints, 6 * num_views, num_views, 3 * num_views]
    pose, rot6d, scale_param, shift = torch.split(x, sizes, dim=1)
    return Solution(pose.reshape(batch, num_joints, 3), rot6d.reshape(batch, num_views, 2, 3),
                    scale_param, shift.reshape(batch, num_views, 3))


def pack_task(mixtures: Tensor, bone_lengths: Optional[Tensor] = None) -> Tensor:
    """(B, V, K, M, 4) mixtures [+ (B, 16) normalised bone lengths] -> (B, task)."""
    parts = [mixtures.reshape(mixtures.shape[0], -1)]
    if bone_lengths is not None:
        parts.append(bone_lengths.to(mixtures.dtype))
    return torch.cat(parts, dim=1)


def unpack_task(task: Tensor, num_views: int, num_joints: int, num_components: int,
                with_bones: bool = False):
    """(B, task) -> (mixtures (B, V, K, M, 4), bone lengths (B, 16) or None)."""
    size = num_views * num_joints * num_components * 4
    expected = size + (NUM_BONES if with_bones else 0)
    if task.shape[-1] != expected:
        raise ValueError(f'task: expected {expected} values (V={num_views}, K={num_joints}, '
                         f'M={num_components}, bones={with_bones}), got {task.shape[-1]}')
    mixtures = task[:, :size].reshape(-1, num_views, num_joints, num_components, 4)
    return mixtures, (task[:, size:] if with_bones else None)


def solution_forward(x: Tensor, num_views: int, num_joints: int) -> Tensor:
    """(B, 3K + 10V) -> (B, V*K*2) weak projections (x, y) of the solution."""
    sol = unpack_solution(x, num_views, num_joints)
    proj = weak_project(sol.pose, sol.rot, sol.scale, sol.shift)[..., :2]
    return proj.reshape(x.shape[0], -1)


def forward_nll(fwd: Tensor, mixtures: Tensor) -> Tensor:
    """(B, V*K*2) projections, (B, V, K, M, 4) mixtures -> (B,) float32 stage-1 objective."""
    batch, views, joints = mixtures.shape[:3]
    return mixture_nll(fwd.reshape(batch, views, joints, 2), mixtures)


def standardize_solution(pose: Tensor, rot: Tensor, scale: Tensor, shift: Tensor):
    """Move a solution into the reference's "standard" frame (``standardize_init_best``).

    The pelvis (joint 0) goes to the origin, the pose is rotated so that the
    thorax (joint 8) lies on +z and the hips (1, 4) on the y axis, then scaled
    so that ``|thorax| + 0.01`` becomes 1; the cameras change so that the
    projections stay the same. The rotation is the reference's
    ``get_std_rotation``, including its ``U @ V`` (not ``U @ V^T``) product
    with a determinant fix on ``V``'s first column. Computed in float64.

    Args:
        pose (Tensor): (B, K, 3); rot (B, V, 3, 3); scale (B, V); shift (B, V, 3).

    Returns:
        tuple: pose, rot, scale, shift in the standard frame (float64).
    """
    pose, rot, scale, shift = (t.double() for t in (pose, rot, scale, shift))
    origin = pose[:, 0]
    pose = pose - origin[:, None]
    shift = shift + torch.einsum('bd,bvdo->bvo', origin, rot) * scale[..., None]
    std_rot = _standard_rotation(pose)
    pose = pose @ std_rot
    rot = std_rot.transpose(-1, -2)[:, None] @ rot
    rescale = pose[:, 8].norm(dim=-1) + 0.01
    return pose / rescale[:, None, None], rot, scale * rescale[:, None], shift


def _standard_rotation(pose: Tensor) -> Tensor:
    """(B, K, 3) pelvis-centred pose -> (B, 3, 3) the reference's standardising rotation."""
    thorax = pose[:, 8].norm(dim=-1)
    hip = (pose[:, 1].norm(dim=-1) + pose[:, 4].norm(dim=-1)) / 2
    zeros = torch.zeros_like(thorax)
    target = torch.stack([torch.stack([zeros, zeros, thorax], -1),
                          torch.stack([zeros, -hip, zeros], -1),
                          torch.stack([zeros, hip, zeros], -1)], dim=1)
    source = pose[:, [8, 1, 4]]
    u, _, vh = torch.linalg.svd(source.transpose(-1, -2) @ target)
    v = vh.transpose(-1, -2)
    flip = torch.where(torch.linalg.det(u @ v) < 0, -1.0, 1.0).to(v.dtype)
    v = torch.cat([v[..., :1] * flip[:, None, None], v[..., 1:]], dim=-1)
    return u @ v


__all__ = [
    'NUM_BONES', 'Solution', 'forward_nll', 'pack_solution', 'pack_task',
    'solution_forward', 'solution_size', 'standardize_solution', 'unpack_solution',
    'unpack_task'
]
