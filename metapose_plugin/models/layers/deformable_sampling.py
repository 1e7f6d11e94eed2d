"""Bilinear sampling of multi-level feature maps at per-joint points.

Both CA-PF (Zhao et al., NeurIPS 2023) and MetaPose read image features at the
2D joints: each level's map is sampled with ``F.grid_sample`` in the
``align_corners=True`` convention, so grid -1 / +1 hit the centres of the
first / last pixel. Each level samples only its own map.

Note:
    - B: batch, K: joints, L: feature levels, N: points per joint
    - C_l: channels of level l, H_l x W_l: its spatial size
    - grid coordinates: (x, y), x to the right and y down, in [-1, 1]
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

PADDING_MODES = ('zeros', 'border')


def crop_to_grid(keypoints_crop: Tensor, input_size: Tuple[int, int] = (192, 256)) -> Tensor:
    """Normalise crop-pixel 2D points to sampling-grid units.

    Reproduces the reference formula ``kp / [w // 2, h // 2] - 1`` (for a
    192 x 256 crop: ``x / 96 - 1``, ``y / 128 - 1``). Unlike the reference,
    the input is never modified in place.

    Args:
        keypoints_crop (Tensor): Crop-pixel points (x in [0, w-1], y in
            [0, h-1]) in shape (..., 2).
        input_size (tuple[int, int]): Crop size (w, h). Defaults to
            (192, 256).

    Returns:
        Tensor: Grid coordinates in shape (..., 2), a new tensor.
    """
    half = keypoints_crop.new_tensor([input_size[0] // 2, input_size[1] // 2])
    return keypoints_crop / half - 1


def sample_feature_levels(feats: Sequence[Tensor],
                          points: Tensor,
                          padding_mode: str = 'zeros') -> List[Tensor]:
    """Bilinearly sample every level's map at grid points (align_corners=True).

    Args:
        feats (Sequence[Tensor]): L maps, level l in shape (B, C_l, H_l, W_l).
        points (Tensor): Grid points, either (B, K, N, 2) shared by all
            levels or (B, L, K, N, 2) with one set per level.
        padding_mode (str): ``'zeros'`` (out-of-map samples read 0) or
            ``'border'`` (they read the nearest edge pixel).

    Returns:
        list[Tensor]: L tensors, level l in shape (B, K, N, C_l).
    """
    if padding_mode not in PADDING_MODES:
        raise ValueError(f'sample_feature_levels: padding_mode must be one of {PADDING_MODES}, '
                         f'got {padding_mode!r}')
    per_level = points.dim() == 5
    if per_level and points.shape[1] != len(feats):
        raise ValueError(f'sample_feature_levels: points has {points.shape[1]} levels but '
                         f'{len(feats)} feature maps were given')
    sampled = []
    for level, feat in enumerate(feats):
        grid = points[:, level] if per_level else points
        # (B, C_l, H_l, W_l) sampled at (B, K, N, 2) -> (B, C_l, K, N)
        out = F.grid_sample(feat, grid.to(feat.dtype), mode='bilinear',
                            padding_mode=padding_mode, align_corners=True)
        # (B, C_l, K, N) -> (B, K, N, C_l)
        sampled.append(out.permute(0, 2, 3, 1))
    return sampled


def sample_at_reference(feats: Sequence[Tensor],
                        reference: Tensor,
                        padding_mode: str = 'zeros') -> List[Tensor]:
    """Sample every level once per joint at its reference point.

    Args:
        feats (Sequence[Tensor]): L maps, level l in shape (B, C_l, H_l, W_l).
        reference (Tensor): Grid points, (B, K, 2) shared by all levels or
            (B, L, K, 2) per level.
        padding_mode (str): ``'zeros'`` or ``'border'``. Defaults to
            ``'zeros'`` (the initial feature lookup of both references).

    Returns:
        list[Tensor]: L tensors, level l in shape (B, K, C_l).
    """
    # (..., K, 2) -> (..., K, 1, 2): one point per joint
    sampled = sample_feature_levels(feats, reference.unsqueeze(-2), padding_mode)
    # (B, K, 1, C_l) -> (B, K, C_l)
    return [s.squeeze(2) for s in sampled]


def embed_at_reference(feats: Sequence[Tensor], reference: Tensor,
                       projections: Sequence[nn.Module]) -> Tensor:
    """Level tokens: each map sampled at the reference (zeros padding, the
    feature lookup of both references) and projected by its own layer.

    Args:
        feats (Sequence[Tensor]): L maps, level l in shape (B, C_l, H_l, W_l).
        reference (Tensor): Grid points, (B, K, 2) or (B, L, K, 2).
        projections (Sequence[nn.Module]): L layers, level l C_l -> C.

    Returns:
        Tensor: Tokens in shape (B, L, K, C).
    """
    sampled = sample_at_reference(feats, reference, 'zeros')
    # L x (B, K, C) -> (B, L, K, C)
    return torch.stack([proj(s) for proj, s in zip(projections, sampled)], dim=1)


def check_joint_views(owner: str, keypoints_frame: Tensor, keypoints_crop: Tensor,
                      num_keypoints: int) -> None:
    """Raise a ValueError naming ``owner`` and the argument unless both 2D
    views (normalised full frame, crop pixels) have shape (B, K, 2)."""
    expected = (keypoints_frame.shape[0], num_keypoints, 2)
    for name, value in (('keypoints_frame', keypoints_frame), ('keypoints_crop', keypoints_crop)):
        if tuple(value.shape) != expected:
            raise ValueError(f'{owner}: {name} must be {expected}, got {tuple(value.shape)}')


def grid_to_kernel_locations(points: Tensor, height: int, width: int,
                             clamp: bool) -> Tensor:
    """Convert align_corners=True grid points to MMCV ``ms_deform_attn``
    locations.

    The kernel reads pixel ``loc * size - 0.5`` (align_corners=False) and
    pads with zeros; grid point g is pixel ``(g + 1) / 2 * (size - 1)``.
    Clamping that pixel to ``[0, size - 1]`` reproduces ``'border'`` padding.

    Args:
        points (Tensor): Grid points (x, y) in shape (..., 2).
        height (int): Map height H_l.
        width (int): Map width W_l.
        clamp (bool): Clamp to the map (border padding).

    Returns:
        Tensor: Kernel locations in [0, 1] units, shape (..., 2).
    """
    size = points.new_tensor([width, height])
    pixels = (points + 1) / 2 * (size - 1)
    if clamp:
        pixels = torch.minimum(pixels.clamp(min=0), size - 1)
    return (pixels + 0.5) / size
