"""Mask drawing of MPM (Zhang, Chai et al., arXiv 2306.17201).

Plain functions of a numpy random generator (``np.random.RandomState`` or
``np.random.Generator``), True = masked. With a ``RandomState`` they make
the same calls in the same order as the reference's ``MaskGen`` and
``TubeMaskGen``, so a seeded state reproduces its masks.
"""
from typing import Sequence, Tuple, Union

import numpy as np

Rng = Union[np.random.RandomState, np.random.Generator]

# The reference's completion joint groups (H36M 17-joint order) and manners.
GROUPS_2D_H36M17 = ((1, 2, 3, 4, 5, 6), (11, 12, 13, 14, 15, 16), (1, 2, 3, 14, 15, 16),
                    (4, 5, 6, 11, 12, 13))
GROUPS_3D_H36M17 = ((1, 2, 3), (14, 15, 16), (11, 12, 13), (4, 5, 6))


def draw_joint_mask(rng: Rng, num_frames: int, num_keypoints: int, num_masked: int) -> np.ndarray:
    """``num_masked`` distinct random joints per frame (the root can be
    drawn): bool (F, K)."""
    if not 0 <= num_masked <= num_keypoints:
        raise ValueError(f'num_masked ({num_masked}) must be within [0, {num_keypoints}]')
    mask = np.zeros((num_frames, num_keypoints), dtype=bool)
    for f in range(num_frames):
        mask[f, rng.choice(range(num_keypoints), num_masked, replace=False)] = True
    return mask


def draw_frame_mask(rng: Rng, num_frames: int, ratio: float) -> np.ndarray:
    """``int(F * ratio)`` random frames: bool (F,)."""
    if not 0 <= ratio < 1:
        raise ValueError(f'frame mask ratio must be within [0, 1), got {ratio}')
    num_masked = int(num_frames * ratio)
    mask = np.array([0.] * (num_frames - num_masked) + [1.] * num_masked)
    rng.shuffle(mask)
    return mask.astype(bool)


def draw_tube_mask(rng: Rng, manners: Sequence[int], groups: Sequence[Sequence[int]],
                   num_keypoints: int) -> Tuple[np.ndarray, int]:
    """One completion manner, the same joints masked in every frame: a bool
    (K,) mask and the manner drawn.

    A manner ``m < len(groups)`` masks ``groups[m]``; a larger ``m`` masks
    ``m - len(groups) + 1`` random joints (the reference: ids >= 4 mask
    ``id - 3`` joints).
    """
    manner = int(rng.choice(manners, 1)[0])
    mask = np.zeros(num_keypoints, dtype=bool)
    if manner < len(groups):
        joints = list(groups[manner])
        bad = [j for j in joints if not 0 <= j < num_keypoints]
        if bad:
            raise ValueError(f'completion group {manner} names joints {bad}, outside '
                             f'[0, {num_keypoints})')
    else:
        count = manner - len(groups) + 1
        if count > num_keypoints:
            raise ValueError(f'completion manner {manner} masks {count} joints but there are '
                             f'only {num_keypoints}')
        joints = rng.choice(range(num_keypoints), count, replace=False)
    mask[joints] = True
    return mask, manner


def h36m16_groups(groups: Sequence[Sequence[int]]) -> tuple:
    """The 17-joint groups in the 16-joint order (H36M joint 9, the nose,
    removed; later indices shift down by one)."""
    if any(9 in group for group in groups):
        raise ValueError('a group contains joint 9 (nose), which 16-joint H36M drops')
    return tuple(tuple(j if j < 9 else j - 1 for j in group) for group in groups)
