"""Metric functions of multi-view MetaPose (Usman et al., CVPR 2022), PyTorch.

All take batched tensors and return per-frame values; the registered
``MultiViewMetaPoseMetric`` averages them.

Note:
    B frames, V views, K joints, R stage-1 reports.
"""
from typing import Dict

from torch import Tensor

from metapose_plugin.structures.multiview.multiview_geometry import (align_aba,
                                                                     normalized_joint_errors,
                                                                     pmpjpe, weak_project)

#: PCK threshold of the reference, in the ground truth's unit (mm).
PCK_THRESHOLD = 150.0


def solution_metrics(pose: Tensor, rot0: Tensor, gt: Tensor, gt_cam0: Tensor,
                     allow_mirror: bool = True,
                     pck_threshold: float = PCK_THRESHOLD) -> Dict[str, Tensor]:
    """Per-frame errors of predicted poses (any scale) against ground truth.

    Args:
        pose (Tensor): (B, K, 3) predictions in the canonical (view 0) frame.
        rot0 (Tensor): (B, 3, 3) view 0's predicted rotation (NMPJPE / PCK
            rotate the prediction into view 0 with ``pose @ rot0``).
        gt (Tensor): (B, K, 3) ground truth (mm), any frame.
        gt_cam0 (Tensor): (B, K, 3) ground truth in view 0's camera frame.
        allow_mirror (bool): NMPJPE / PCK also try the z-mirrored prediction
            (the reference's default).
        pck_threshold (float): PCK threshold, ground-truth unit.

    Returns:
        dict: (B,) each: ``pmpjpe`` (the reference's alignment: reflections
        allowed, norm-ratio scale), ``pmpjpe_proper`` (similarity
        Procrustes), ``nmpjpe``, ``pck`` (percent of joints within the
        threshold after the NMPJPE normalisation).
    """
    errors = normalized_joint_errors(gt_cam0, pose @ rot0, allow_mirror)
    return dict(
        pmpjpe=pmpjpe(pose, gt),
        pmpjpe_proper=pmpjpe(pose, gt, proper=True),
        nmpjpe=errors.mean(-1),
        pck=(errors < pck_threshold).float().mean(-1) * 100)


def stage1_report_stats(reports: Dict[str, Tensor], gt: Tensor, pose2d_gt: Tensor,
                        pose2d_pred: Tensor) -> Dict[str, Tensor]:
    """The reference's per-report stage-1 logs (``compute_opt_stats``), float32.

    Args:
        reports (dict): :class:`MultiViewMetaPoseS1Solver` output (``pose``
            (R, B, K, 3), ``rot``, ``scale``, ``shift``).
        gt (Tensor): (B, K, 3) ground-truth 3D (mm).
        pose2d_gt (Tensor): (B, V, K, 2) ground-truth 2D, bbox units.
        pose2d_pred (Tensor): (B, V, K, 2) mixture means, bbox units.

    Returns:
        dict: ``pose2d_opt_preds`` (R, B, V, K, 2) projections;
        ``pose3d_gt_aligned_pred_3d_proj`` (R, B, V, K, 2) ground truth aligned
        to the prediction and projected; (R, B): ``pose3d_pred_pmpjpe``,
        ``pose2d_pred_err``, ``pose2d_pred_vs_posenet_err``,
        ``pose3d_gt_backaligned_pose2d_gt_err``; (B,):
        ``pose2d_gt_posenet_err_mean``.
    """
    gt, pose2d_gt, pose2d_pred = gt.float(), pose2d_gt.float(), pose2d_pred.float()
    pose, rot, scale, shift = (reports[k] for k in ('pose', 'rot', 'scale', 'shift'))
    proj = weak_project(pose, rot, scale, shift)[..., :2]
    gt_aligned = align_aba(gt.expand_as(pose), pose).a2b
    gt_proj = weak_project(gt_aligned, rot, scale, shift)[..., :2]

    def mean_dist(a: Tensor, b: Tensor) -> Tensor:
        return (a - b).norm(dim=-1).flatten(-2).mean(-1)

    return dict(
        pose2d_opt_preds=proj,
        pose3d_gt_aligned_pred_3d_proj=gt_proj,
        pose3d_pred_pmpjpe=pmpjpe(pose, gt.expand_as(pose)),
        pose2d_pred_err=mean_dist(proj, pose2d_gt),
        pose2d_pred_vs_posenet_err=mean_dist(proj, pose2d_pred),
        pose2d_gt_posenet_err_mean=mean_dist(pose2d_gt, pose2d_pred),
        pose3d_gt_backaligned_pose2d_gt_err=mean_dist(gt_proj, pose2d_gt))
