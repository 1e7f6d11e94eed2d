"""Geometry of multi-view MetaPose (Usman et al., CVPR 2022, arXiv 2108.04869).

Plain functions, batched over any leading dimensions ``*``. Conventions of the
TensorFlow reference (``google-research/metapose``), kept so that outputs
match it:

* Weak camera ``v``: rotation ``R_v`` (3, 3) acting on the **right** of row
  vectors, scale ``s_v > 0``, shift ``t_v`` (3,); a joint ``X`` projects to
  ``X @ R_v * s_v + t_v`` (only x, y are compared with 2D evidence).
* 6D rotation: the first two rows of ``R``; back to ``R`` by Gram-Schmidt
  (Zhou et al., CVPR 2019), rows ``[x, y, z]``.
* Scale parameter: inverse softplus ``log(exp(s) - 1)``.
* Gaussian mixture: ``(..., M, 4)`` with components ``(pi, mu_x, mu_y,
  variance)``, spherical, evaluated in float64.

Note:
    V views, K joints, M mixture components, B frames.
"""
from typing import NamedTuple, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

# The 16 bones of the 17-joint H36M skeleton used by the reference's
# bone-length prior, as (parent, child) joint indices.
H36M_BONES = ((0, 7), (7, 8), (8, 9), (9, 10), (8, 11), (8, 14), (14, 15), (15, 16), (11, 12),
              (12, 13), (0, 4), (0, 1), (1, 2), (2, 3), (4, 5), (5, 6))


def weak_project(pose: Tensor, rot: Tensor, scale: Tensor, shift: Tensor) -> Tensor:
    """Weak projection of one pose into every view.

    Args:
        pose (Tensor): (*, K, 3) joints in the canonical (view 0) frame.
        rot (Tensor): (*, V, 3, 3) rotations acting on row vectors.
        scale (Tensor): (*, V) scales.
        shift (Tensor): (*, V, 3) shifts.

    Returns:
        Tensor: (*, V, K, 3) rotated, scaled, shifted joints; x, y are the
        view's 2D coordinates (bbox units when the inputs are).
    """
    rotated = torch.einsum('...kd,...vdo->...vko', pose, rot)
    return rotated * scale[..., None, None] + shift[..., None, :]


def rotation_from_6d(vec: Tensor) -> Tensor:
    """Rotation matrices from the 6D parameterisation.

    Args:
        vec (Tensor): (*, 6) or (*, 2, 3): the first two rows of ``R``.

    Returns:
        Tensor: (*, 3, 3) rotation with rows ``[x, y, z]``, ``x = r0 / |r0|``,
        ``z = x cross r1`` normalised, ``y = z cross x``.
    """
    vec = vec.reshape(*vec.shape[:-2], 6) if vec.shape[-2:] == (2, 3) else vec
    x_axis = vec[..., :3] / vec[..., :3].norm(dim=-1, keepdim=True)
    z_axis = torch.linalg.cross(x_axis, vec[..., 3:])
    z_axis = z_axis / z_axis.norm(dim=-1, keepdim=True)
    y_axis = torch.linalg.cross(z_axis, x_axis)
    return torch.stack([x_axis, y_axis, z_axis], dim=-2)


def rotation_to_6d(rot: Tensor) -> Tensor:
    """(*, 3, 3) rotation -> (*, 2, 3) its first two rows."""
    return rot[..., :2, :]


def scale_to_param(scale: Tensor) -> Tensor:
    """Inverse softplus ``log(exp(s) - 1)`` of positive scales (the reference's form)."""
    return torch.log(torch.exp(scale) - 1.0)


def param_to_scale(scale_param: Tensor) -> Tensor:
    """Softplus: scale parameter -> positive scale."""
    return F.softplus(scale_param)


class Alignment(NamedTuple):
    """Result of :func:`align_aba`.

    ``a2b`` (*, K, 3): ``a`` aligned onto ``b``; ``b2a`` (*, K, 3): ``b``
    aligned onto ``a``; ``a_mean``, ``b_mean`` (*, 3); ``rot`` (*, 3, 3) acting
    on centred row vectors of ``a``; ``scale`` (*,).
    """
    a2b: Tensor
    b2a: Tensor
    a_mean: Tensor
    b_mean: Tensor
    rot: Tensor
    scale: Tensor


def align_aba(a: Tensor, b: Tensor, proper: bool = False) -> Alignment:
    """Procrustes alignment of point sets ``a`` and ``b`` in both directions.

    ``proper=False`` is the reference's ``align_aba``: ``R = U V^T`` from the SVD
    of ``a_c^T b_c`` **without** a reflection fix (``det R`` may be -1) and the
    scale ``|b_c|_F / |a_c|_F`` (a norm ratio, not the least-squares scale).
    ``proper=True`` is the similarity Procrustes: ``det R = +1`` and the
    least-squares scale ``tr(S D) / |a_c|_F^2``.

    Args:
        a (Tensor): (*, K, 3) points.
        b (Tensor): (*, K, 3) points, same units as ``a`` or not.

    Returns:
        Alignment: ``a2b = a_c R s + mean(b)``, ``b2a = b_c R^T / s + mean(a)``.
    """
    a_mean, b_mean = a.mean(dim=-2), b.mean(dim=-2)
    a_c, b_c = a - a_mean[..., None, :], b - b_mean[..., None, :]
    cross = a_c.transpose(-1, -2) @ b_c
    u, sing, vh = torch.linalg.svd(cross)
    a_norm = a_c.flatten(-2).norm(dim=-1)
    if proper:
        sign = torch.sign(torch.linalg.det(u @ vh))
        sign = torch.where(sign == 0, torch.ones_like(sign), sign)
        fix = torch.ones_like(sing)
        fix = torch.cat([fix[..., :2], sign[..., None]], dim=-1)
        rot = (u * fix[..., None, :]) @ vh
        scale = (sing * fix).sum(-1) / a_norm.square()
    else:
        rot = u @ vh
        scale = b_c.flatten(-2).norm(dim=-1) / a_norm
    a2b = a_c @ rot * scale[..., None, None] + b_mean[..., None, :]
    b2a = b_c @ rot.transpose(-1, -2) / scale[..., None, None] + a_mean[..., None, :]
    return Alignment(a2b, b2a, a_mean, b_mean, rot, scale)


def gmm_log_prob(points: Tensor, params: Tensor, eps: float = 1e-8) -> Tensor:
    """Log-likelihood of 2D points under spherical Gaussian mixtures, in float64.

    Args:
        points (Tensor): (*, 2) points (any float dtype; cast to float64).
        params (Tensor): (*, M, 4) components ``(pi, mu_x, mu_y, variance)``,
            same units as ``points``.
        eps (float): Added to ``pi`` inside the log (the reference's ``1e-8``,
            so that a zero weight stays finite).

    Returns:
        Tensor: (*,) float64 ``log sum_m pi_m N(p; mu_m, var_m I_2)``.
    """
    params = params.double()
    diff = points.double()[..., None, :] - params[..., 1:3]
    var = params[..., 3]
    log_normal = -0.5 * diff.square().sum(-1) / var - torch.log(var) - torch.log(
        torch.tensor(2 * torch.pi, dtype=torch.float64, device=params.device))
    return torch.logsumexp(log_normal + torch.log(params[..., 0] + eps), dim=-1)


def mixture_nll(pose2d: Tensor, mixtures: Tensor, eps: float = 1e-8) -> Tensor:
    """The stage-1 objective: ``-mean_{v,k} log p(q_vk)``, as the reference computes it.

    The likelihood is evaluated in float64 and cast to float32 before the mean
    (the reference's ``gaussian_mixture_log_prob`` returns float32).

    Args:
        pose2d (Tensor): (*, V, K, 2) projections (bbox units).
        mixtures (Tensor): (*, V, K, M, 4) mixtures (bbox units).

    Returns:
        Tensor: (*,) float32 negative mean log-likelihood.
    """
    logp = gmm_log_prob(pose2d, mixtures, eps).float()
    return -logp.flatten(-2).mean(-1)


def bone_lengths(pose: Tensor, bones=H36M_BONES) -> Tensor:
    """(*, K, 3) joints -> (*, len(bones)) bone lengths (same unit)."""
    index = torch.as_tensor(bones, device=pose.device)
    return (pose[..., index[:, 0], :] - pose[..., index[:, 1], :]).norm(dim=-1)


def normalized_bone_lengths(pose: Tensor) -> Tensor:
    """(*, K, 3) -> (*, 16) H36M bone lengths divided by their mean."""
    lengths = bone_lengths(pose)
    return lengths / lengths.mean(-1, keepdim=True)


def bone_length_prior(ref_lengths: Tensor, pose: Tensor) -> Tensor:
    """Scale-invariant bone-length distance ``| l/mean(l) - l_ref/mean(l_ref) |_2``.

    Args:
        ref_lengths (Tensor): (*, 16) reference bone lengths (any unit).
        pose (Tensor): (*, K, 3) predicted joints.

    Returns:
        Tensor: (*,) distance.
    """
    ref = ref_lengths / ref_lengths.mean(-1, keepdim=True)
    return (ref - normalized_bone_lengths(pose)).norm(dim=-1)


def pmpjpe(pred: Tensor, gt: Tensor, proper: bool = False,
           visible: Optional[Tensor] = None) -> Tensor:
    """Procrustes-aligned mean per-joint position error per frame.

    Args:
        pred (Tensor): (*, K, 3) prediction (any scale).
        gt (Tensor): (*, K, 3) ground truth (its unit is the result's unit).
        proper (bool): False: the reference's alignment (reflections allowed,
            norm-ratio scale); True: similarity Procrustes.
        visible (Tensor, optional): (*, K) joint mask for the mean.

    Returns:
        Tensor: (*,) mean error.
    """
    err = (align_aba(pred, gt, proper=proper).a2b - gt).norm(dim=-1)
    if visible is None:
        return err.mean(-1)
    visible = visible.to(err.dtype)
    return (err * visible).sum(-1) / visible.sum(-1).clamp(min=1)


def normalized_joint_errors(gt_cam0: Tensor, pred_cam0: Tensor,
                            allow_mirror: bool = True) -> Tensor:
    """Per-joint errors after centring and norm-ratio scaling (the reference's NMPJPE).

    Args:
        gt_cam0 (Tensor): (*, K, 3) ground truth in view 0's camera frame.
        pred_cam0 (Tensor): (*, K, 3) prediction rotated into view 0 (``pose @ R_0``).
        allow_mirror (bool): Also try the prediction with z negated and keep
            the lower mean error (the reference's default).

    Returns:
        Tensor: (*, K) errors in the unit of ``gt_cam0``.
    """
    gt_c = gt_cam0 - gt_cam0.mean(-2, keepdim=True)
    pred_c = pred_cam0 - pred_cam0.mean(-2, keepdim=True)
    pred_c = pred_c * (gt_c.flatten(-2).norm(dim=-1) / pred_c.flatten(-2).norm(dim=-1))[..., None,
                                                                                        None]
    err = (gt_c - pred_c).norm(dim=-1)
    if not allow_mirror:
        return err
    mirror = pred_c.new_tensor([1.0, 1.0, -1.0])
    err_mirror = (gt_c - pred_c * mirror).norm(dim=-1)
    keep = err.mean(-1, keepdim=True) < err_mirror.mean(-1, keepdim=True)
    return torch.where(keep, err, err_mirror)


def bbox_origin_size(bboxes: Tensor):
    """Square-bbox normalisation of the reference from its bbox layout.

    Args:
        bboxes (Tensor): (*, 4) **[y_min, y_max, x_min, x_max]** pixels (the
            reference's record layout).

    Returns:
        tuple: ``origin`` (*, 2) = (x_min, y_min) and ``size`` (*,) =
        ``max(y_max - y_min, x_max - x_min)``, float64, pixels.
    """
    bboxes = bboxes.double()
    size = torch.maximum(bboxes[..., 1] - bboxes[..., 0], bboxes[..., 3] - bboxes[..., 2])
    return torch.stack([bboxes[..., 2], bboxes[..., 0]], dim=-1), size


def points_to_bbox_units(points: Tensor, origin: Tensor, size: Tensor) -> Tensor:
    """(*, V, K, 2) pixels -> bbox units ``(p - origin) / size`` per view.

    ``origin`` (*, V, 2) and ``size`` (*, V) as :func:`bbox_origin_size` gives.
    """
    return (points - origin[..., None, :]) / size[..., None, None]


def points_from_bbox_units(points: Tensor, origin: Tensor, size: Tensor) -> Tensor:
    """(*, V, K, 2) bbox units -> pixels ``p * size + origin`` (inverse of
    :func:`points_to_bbox_units`)."""
    return points * size[..., None, None] + origin[..., None, :]


def mixture_means(mixtures: Tensor) -> Tensor:
    """(*, M, 4) mixtures ``(pi, mu_x, mu_y, variance)`` -> (*, 2) their means
    ``sum_m pi_m mu_m / sum_m pi_m`` (the reference's ``pose2d_pred``)."""
    weights = mixtures[..., 0:1]
    return (weights * mixtures[..., 1:3]).sum(-2) / weights.sum(-2)


def mixtures_to_bbox_units(mixtures: Tensor, origin: Tensor, size: Tensor) -> Tensor:
    """(*, V, K, M, 4) pixel mixtures -> bbox units (means shifted and divided
    by the size, variances divided by size^2; weights unchanged)."""
    size = size[..., None, None]
    means = (mixtures[..., 1:3] - origin[..., None, None, :]) / size[..., None]
    return torch.cat([mixtures[..., :1], means, mixtures[..., 3:] / size[..., None].square()],
                     dim=-1)
