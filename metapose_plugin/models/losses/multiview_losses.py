"""Losses of multi-view MetaPose (Usman et al., CVPR 2022).

Note:
    B frames, V views, K joints.
"""
import torch
from torch import Tensor


def teacher_student_loss(rot: Tensor, rot_best: Tensor, pose: Tensor, pose_best: Tensor,
                         scale_param: Tensor, scale_param_best: Tensor, shift: Tensor,
                         shift_best: Tensor) -> Tensor:
    """The reference's solution loss (``x_opt``, TS ablation) with its default weights.

    Per frame: ``pose`` (sum over joints of the xyz-mean squared error) +
    ``log_scale`` (mean over views of the squared scale-parameter error) +
    ``shift`` (sum over views of the xyz mean) + ``rot_inv`` (sum over views
    and rows of the row-mean of ``(R R_best^T - I)^2``). The reference's
    other terms have weight 0.

    Returns:
        Tensor: (B,) loss.
    """
    eye = torch.eye(3, dtype=rot.dtype, device=rot.device)
    rot_inv = (rot @ rot_best.transpose(-1, -2) - eye).square().mean(-1).flatten(1).sum(-1)
    return ((pose - pose_best).square().mean(-1).sum(-1) +
            (scale_param - scale_param_best).square().mean(-1) +
            (shift - shift_best).square().mean(-1).sum(-1) + rot_inv)
