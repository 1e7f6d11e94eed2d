"""Random view order of a multi-view MetaPose frame (the reference's ``permute_cams_aug``)."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

PER_VIEW_KEYS = ('mono3d', 'mixtures', 'pose2d', 'keypoints_2d', 'bboxes', 'projections',
                 'cam_rotations', 'cam_centres')


@TRANSFORMS.register_module()
class RandomPermuteViews(BaseTransform):
    """Shuffle the views of a frame of :class:`H36MMultiViewDataset`.

    As the reference's ``permute_cams_aug``: the cameras of the stage-1
    solutions ``x_init`` / ``x_best`` (6D rotations, scale parameters,
    shifts) and the per-view mixtures of ``task`` are reordered, the pose
    part is kept; every per-view field moves with its view,
    ``camera_subset`` is reordered and ``pose3d_cam0`` is recomputed in the
    new view 0's camera frame (mm). Fields the frame lacks are skipped.

    Note:
        V views, K joints, M components; ``x`` is ``[pose (3K) | rot6d (6V)
        | scale parameter (V) | shift (3V)]``.

    Args:
        prob (float): Probability of shuffling a frame. Defaults to 1.0.
        seed (int, optional): Seed of a private generator (for tests);
            NumPy's global one when None.
    """

    def __init__(self, prob: float = 1.0, seed: Optional[int] = None):
        super().__init__()
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob
        self.rng = np.random if seed is None else np.random.default_rng(seed)

    def transform(self, results: dict) -> dict:
        if self.rng.random() >= self.prob:
            return results
        views = int(results['num_views'])
        perm = self.rng.permutation(views)
        joints = results['pose3d'].shape[0] if 'pose3d' in results else 17
        for key in ('x_init', 'x_best'):
            if key in results:
                results[key] = self._permute_solution(np.asarray(results[key]), perm, views,
                                                      joints)
        if 'task' in results:
            task = np.asarray(results['task'])
            size = int(np.prod(results['mixtures'].shape)) if 'mixtures' in results else len(task)
            mixtures = task[:size].reshape(views, -1)[perm].reshape(-1)
            results['task'] = np.concatenate([mixtures, task[size:]])
        for key in PER_VIEW_KEYS:
            if key in results:
                results[key] = np.asarray(results[key])[perm]
        if 'camera_subset' in results:
            results['camera_subset'] = tuple(results['camera_subset'][i] for i in perm)
        if {'cam_rotations', 'cam_centres', 'pose3d'} <= set(results):
            world = np.asarray(results['pose3d']) / 1000.0
            results['pose3d_cam0'] = (world - results['cam_centres'][0]) @ \
                results['cam_rotations'][0] * 1000.0
            results['cam0_rotation'] = results['cam_rotations'][0]
        return results

    @staticmethod
    def _permute_solution(x: np.ndarray, perm: np.ndarray, views: int, joints: int) -> np.ndarray:
        pose, rot6d, scale, shift = np.split(x, np.cumsum([3 * joints, 6 * views, views]))
        return np.concatenate([pose, rot6d.reshape(views, 6)[perm].reshape(-1), scale[perm],
                               shift.reshape(views, 3)[perm].reshape(-1)])
