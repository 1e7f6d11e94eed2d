"""Turn H pose hypotheses into one pose (P-Agg, J-Agg) or pick the best one
with the ground truth (J-Best, P-Best: oracles), and their errors.

Definitions of D3DP (Shan et al., ICCV 2023) as FinePOSE's ``main.py`` and
``common/loss.py`` compute them (SPEC_FINEPOSE section 5). J-Agg is D3DP's
joint-wise reprojection-based multi-hypothesis aggregation (JPMA): it needs
the camera intrinsics and the root trajectory, but no 3D ground truth.

Note:
    - H: hypotheses, F: frames, K: joints; leading dims (e.g. B samples, N
      sampler steps) are free and shared by every argument
    - poses: camera frame, root-relative, metres; hypotheses on dim -4
      (..., H, F, K, 3), single poses (..., F, K, 3)
    - 2D: the model's input units (normalised screen coordinates with
      normalised intrinsics, or pixels with pixel intrinsics)
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

from metapose_plugin.structures.h36m_cameras import project_to_2d


def _gather_hypothesis(hypotheses: Tensor, index: Tensor) -> Tensor:
    """Pick hypotheses per (..., F, K) ``index`` (..., 1 or F, 1 or K)."""
    index = index.expand(hypotheses.shape[:-4] + hypotheses.shape[-3:-1])
    return hypotheses.gather(-4, index[..., None, :, :, None].expand(
        index.shape[:-2] + (1, ) + index.shape[-2:] + (3, ))).squeeze(-4)


def aggregate_mean(hypotheses: Tensor) -> Tensor:
    """P-Agg: the mean of the hypotheses (..., H, F, K, 3) -> (..., F, K, 3)."""
    return hypotheses.mean(dim=-4)


def reproject_hypotheses(hypotheses: Tensor, root_trajectory: Tensor,
                         intrinsics: Tensor) -> Tensor:
    """Project each hypothesis placed at the root trajectory.

    Args:
        hypotheses (Tensor): (..., H, F, K, 3), root-relative.
        root_trajectory (Tensor): Camera-frame root (..., F, 1, 3), metres.
        intrinsics (Tensor): 9-vectors ``[fx, fy, cx, cy, k1, k2, k3, p1,
            p2]`` (9,) or (..., 9) matching the leading dims.

    Returns:
        Tensor: 2D in shape (..., H, F, K, 2), units of the intrinsics.
    """
    absolute = hypotheses + root_trajectory.unsqueeze(-4)
    if intrinsics.dim() > 1:
        intrinsics = intrinsics[..., None, :]  # broadcast over H
    return project_to_2d(absolute, intrinsics)


def aggregate_reprojection(hypotheses: Tensor, keypoints_2d: Tensor, root_trajectory: Tensor,
                           intrinsics: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """J-Agg (JPMA): per (frame, joint), the hypothesis whose reprojection
    is closest (L2) to the input 2D keypoint.

    Args:
        hypotheses (Tensor): (..., H, F, K, 3).
        keypoints_2d (Tensor): Input 2D (..., F, K, 2).
        root_trajectory (Tensor): (..., F, 1, 3), see
            :func:`reproject_hypotheses`.
        intrinsics (Tensor): (9,) or (..., 9).

    Returns:
        tuple: pose (..., F, K, 3), index (..., F, K) and the reprojections
        (..., H, F, K, 2).
    """
    reprojected = reproject_hypotheses(hypotheses, root_trajectory, intrinsics)
    errors = torch.norm(reprojected - keypoints_2d.unsqueeze(-4), dim=-1)
    index = errors.min(dim=-3).indices
    return _gather_hypothesis(hypotheses, index), index, reprojected


def select_joint_best(hypotheses: Tensor, target: Tensor) -> Tuple[Tensor, Tensor]:
    """J-Best (**oracle**): per (frame, joint), the hypothesis closest to the
    3D ground truth ``target`` (..., F, K, 3). Returns pose and index
    (..., F, K)."""
    errors = torch.norm(hypotheses - target.unsqueeze(-4), dim=-1)
    index = errors.min(dim=-3).indices
    return _gather_hypothesis(hypotheses, index), index


def select_pose_best(hypotheses: Tensor, target: Tensor,
                     pool_dims: Tuple[int, ...] = ()) -> Tuple[Tensor, Tensor]:
    """P-Best (**oracle**): the hypothesis with the lowest MPJPE to
    ``target`` (..., F, K, 3), one index per sample, or shared across the
    leading dims ``pool_dims`` (the reference pools the whole mini-batch:
    ``pool_dims=(0,)`` on (B, N, H, F, K, 3)).

    Returns:
        tuple: pose (..., F, K, 3) and index (...) (size 1 on pooled dims).
    """
    errors = torch.norm(hypotheses - target.unsqueeze(-4), dim=-1).mean(dim=(-2, -1))
    if pool_dims:
        errors = errors.mean(dim=pool_dims, keepdim=True)
    index = errors.min(dim=-1).indices
    pose = _gather_hypothesis(hypotheses, index[..., None, None])
    return pose, index


def procrustes_align(predicted: Tensor, target: Tensor) -> Tensor:
    """Align ``predicted`` to ``target`` (..., K, 3) per pose with the
    similarity transform (scale, rotation without reflection, translation)
    minimising the squared error (Umeyama), in float64.

    Returns:
        Tensor: Aligned poses, float64, shape of ``predicted``.
    """
    target = target.double().expand_as(predicted)
    predicted = predicted.double()
    mu_x, mu_y = target.mean(dim=-2, keepdim=True), predicted.mean(dim=-2, keepdim=True)
    x0, y0 = target - mu_x, predicted - mu_y
    norm_x = x0.square().sum(dim=(-2, -1), keepdim=True).sqrt()
    norm_y = y0.square().sum(dim=(-2, -1), keepdim=True).sqrt()
    x0, y0 = x0 / norm_x, y0 / norm_y
    u, s, vh = torch.linalg.svd(x0.transpose(-2, -1) @ y0)
    v = vh.transpose(-2, -1)
    sign = torch.sign(torch.linalg.det(v @ u.transpose(-2, -1)))
    v = torch.cat([v[..., :2], v[..., 2:] * sign[..., None, None]], dim=-1)
    s = torch.cat([s[..., :2], s[..., 2:] * sign[..., None]], dim=-1)
    rotation = v @ u.transpose(-2, -1)
    scale = s.sum(dim=-1)[..., None, None] * norm_x / norm_y
    translation = mu_x - scale * (mu_y @ rotation)
    return scale * (predicted @ rotation) + translation


def joint_errors(predicted: Tensor, target: Tensor, align: bool = False) -> Tensor:
    """Per-joint L2 errors (..., K) of poses (..., K, 3), after Procrustes
    alignment per pose when ``align`` (P-MPJPE)."""
    if align:
        return torch.norm(procrustes_align(predicted, target) - target.double(), dim=-1)
    return torch.norm(predicted - target, dim=-1)


def hypothesis_errors(hypotheses: Tensor,
                      target: Tensor,
                      keypoints_2d: Optional[Tensor] = None,
                      root_trajectory: Optional[Tensor] = None,
                      intrinsics: Optional[Tensor] = None,
                      align: bool = False,
                      pool_dims: Tuple[int, ...] = ()) -> dict:
    """Per-joint errors (..., F, K) of the four aggregations, as the
    reference scores them.

    P-Agg scores the mean pose. J-Best takes, per joint, the minimum over
    hypotheses of the (aligned, with ``align``) hypothesis errors; P-Best the
    hypothesis with the lowest mean error (over ``pool_dims`` too); J-Agg
    the errors at the indices chosen by the 2D reprojection (only with
    ``keypoints_2d``, ``root_trajectory`` and ``intrinsics``). With
    ``align`` every hypothesis is aligned on its own before the selection,
    as ``p_mpjpe_diffusion*`` do.

    Returns:
        dict: ``'P-Agg'``, ``'J-Best'``, ``'P-Best'`` and, with a camera,
        ``'J-Agg'`` -> (..., F, K) errors in metres.
    """
    per_hyp = joint_errors(hypotheses, target.unsqueeze(-4), align)  # (..., H, F, K)
    mean_errors = per_hyp.mean(dim=(-2, -1))
    if pool_dims:
        mean_errors = mean_errors.mean(dim=pool_dims, keepdim=True)
    best = mean_errors.min(dim=-1).indices
    index = best[..., None, None, None].expand(per_hyp.shape[:-3] + (1, ) + per_hyp.shape[-2:])
    out = {
        'P-Agg': joint_errors(aggregate_mean(hypotheses), target, align),
        'J-Best': per_hyp.min(dim=-3).values,
        'P-Best': per_hyp.gather(-3, index).squeeze(-3),
    }
    if keypoints_2d is not None and root_trajectory is not None and intrinsics is not None:
        _, jagg, _ = aggregate_reprojection(hypotheses, keypoints_2d, root_trajectory,
                                            intrinsics)
        out['J-Agg'] = per_hyp.gather(-3, jagg.unsqueeze(-3)).squeeze(-3)
    return out
