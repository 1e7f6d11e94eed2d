"""Masks of MPM's masked pose modelling, drawn in the data pipeline."""
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

from metapose_plugin.structures.mpm_masks import (GROUPS_2D_H36M17, GROUPS_3D_H36M17,
                                                  draw_frame_mask, draw_joint_mask, draw_tube_mask)


@TRANSFORMS.register_module()
class GenerateMPMMasks(BaseTransform):
    """Draw the 2D and 3D masks of one window (MPM, Zhang, Chai et al.,
    arXiv 2306.17201); True = masked.

    ``mode='random'`` (pretraining): ``num_masked_joints`` random joints in
    every frame and ``int(F * frame_mask_ratio)`` random frames, drawn
    independently for 2D and 3D (the reference's ``MaskGen``).
    ``mode='tube'`` (completion): one manner per window from
    ``manners_2d``/``manners_3d``; a manner ``m < len(groups)`` masks the
    joints ``groups[m]``, a larger one ``m - len(groups) + 1`` random joints,
    in every frame; no frame is masked (the reference's ``TubeMaskGen``).

    Adds ``mpm_joint_mask_2d``/``_3d`` (F, K) and ``mpm_frame_mask_2d``/
    ``_3d`` (F,) bool arrays and, in tube mode, ``mpm_manner_2d``/``_3d``
    (int). Add these keys to ``PackPoseInputs.meta_keys``.

    Seeding: with ``seed`` the masks of a window are a pure function of
    ``(seed, sample_idx)`` (reproducible evaluation, whatever the workers or
    order); with ``seed=None`` they come from numpy's global generator,
    which MMEngine seeds per worker from ``randomness.seed`` (training).
    The reference instead reseeds from OS entropy every batch.

    Required keys: ``keypoints`` (F, K, 2) or (1, F, K, 2) (for F and K); with ``seed``,
    ``sample_idx``.

    Args:
        mode (str): ``'random'`` or ``'tube'``. Defaults to ``'random'``.
        num_masked_joints (int): Joints masked per frame (``--smn``).
            Defaults to 5.
        frame_mask_ratio (float): Fraction of masked frames (``--tmr``).
            Defaults to 0.6.
        manners_2d (Sequence[int]): 2D manners. Defaults to the reference's
            ``(0, 1, 2, 3, 9)``.
        manners_3d (Sequence[int]): 3D manners. Defaults to ``(0, 1, 2, 3,
            6)``.
        groups_2d (Sequence[Sequence[int]]): 2D joint groups. Defaults to the
            reference's 17-joint groups (for 16 joints use
            :func:`h36m16_groups`).
        groups_3d (Sequence[Sequence[int]]): 3D joint groups.
        seed (int, optional): See above. Defaults to None.
    """

    def __init__(self,
                 mode: str = 'random',
                 num_masked_joints: int = 5,
                 frame_mask_ratio: float = 0.6,
                 manners_2d: Sequence[int] = (0, 1, 2, 3, 9),
                 manners_3d: Sequence[int] = (0, 1, 2, 3, 6),
                 groups_2d: Sequence[Sequence[int]] = GROUPS_2D_H36M17,
                 groups_3d: Sequence[Sequence[int]] = GROUPS_3D_H36M17,
                 seed: Optional[int] = None):
        if mode not in ('random', 'tube'):
            raise ValueError(f"GenerateMPMMasks: mode must be 'random' or 'tube', got {mode!r}")
        self.mode = mode
        self.num_masked_joints = num_masked_joints
        self.frame_mask_ratio = frame_mask_ratio
        self.manners = dict(d2=tuple(manners_2d), d3=tuple(manners_3d))
        self.groups = dict(d2=tuple(map(tuple, groups_2d)), d3=tuple(map(tuple, groups_3d)))
        self.seed = seed

    def transform(self, results: dict) -> dict:
        """Add the masks of this window to ``results``."""
        shape = np.shape(results['keypoints'])
        if len(shape) not in (3, 4) or shape[-1] != 2 or (len(shape) == 4 and shape[0] != 1):
            raise ValueError(f'GenerateMPMMasks: keypoints must be (F, K, 2) or (1, F, K, 2), '
                             f'got {shape} (sample {results.get("sample_idx")})')
        F, K = shape[-3:-1]
        if self.seed is None:
            rng = np.random
        else:
            if 'sample_idx' not in results:
                raise KeyError('GenerateMPMMasks: seed is set but the sample has no sample_idx')
            rng = np.random.default_rng([self.seed, int(results['sample_idx'])])
        for dims in ('2d', '3d'):
            if self.mode == 'random':
                joint_mask = draw_joint_mask(rng, F, K, self.num_masked_joints)
                frame_mask = draw_frame_mask(rng, F, self.frame_mask_ratio)
            else:
                key = 'd' + dims[0]
                tube = draw_tube_mask(rng, self.manners[key], self.groups[key], K)
                results[f'mpm_manner_{dims}'] = int(tube[1])
                joint_mask = np.broadcast_to(tube[0], (F, K)).copy()
                frame_mask = np.zeros(F, dtype=bool)
            results[f'mpm_joint_mask_{dims}'] = joint_mask
            results[f'mpm_frame_mask_{dims}'] = frame_mask
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(mode={self.mode!r}, '
                f'num_masked_joints={self.num_masked_joints}, '
                f'frame_mask_ratio={self.frame_mask_ratio}, manners={self.manners}, '
                f'seed={self.seed})')
