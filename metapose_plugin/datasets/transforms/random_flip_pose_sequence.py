from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS
from mmpose.structures.keypoint import flip_keypoints_custom_center

#: 3D keys mirrored in the camera frame (x -> -x), with their visibility.
_KEYS_3D = (('keypoints_3d', 'keypoints_3d_visible'),
            ('lifting_target', 'lifting_target_visible'))


@TRANSFORMS.register_module()
class RandomFlipPoseSequence(BaseTransform):
    """Mirror a 2D/3D pose sequence and its camera, left and right swapped.

    The flip of VideoPose3D, FinePOSE and MPM, done on the raw sample so
    that the result is again a consistent (2D, 3D, camera) triple: the
    mirrored camera-frame 3D projects onto the mirrored 2D with the mirrored
    camera, distortion included.

    - 2D, pixels: ``u -> w - u`` (the references negate the normalised
      ``u / w * 2 - 1``).
    - 3D, camera frame: ``x -> -x``.
    - Camera (MMPose convention): ``c_x -> w - c_x``; the tangential
      coefficient that multiplies x in VideoPose3D's model (its ``p1``,
      MMPose's ``p[1]``) changes sign (MPM negates ``cx`` and ``p1`` of
      its normalised 9-vector); ``R -> R @ diag(-1, 1, 1)``, a reflection,
      so that ``world_to_camera`` of the unmirrored world pose gives the
      mirrored camera-frame pose.
    - Joints: left and right swapped with the dataset's ``flip_indices``.

    MMPose's ``RandomFlipAroundRoot`` mirrors about a fixed x (0.5 by
    default, meant for normalised inputs) and, with ``flip_camera``, negates
    ``c[0]`` and ``p[0]``: right for normalised cameras with another ``p``
    order, wrong for pixel cameras, so this transform does not reuse it.
    The per-array mirror + swap is MMPose's
    ``flip_keypoints_custom_center``.

    Required keys: ``keypoints`` (F, K, 2) pixels, ``keypoints_visible``,
    ``camera_param`` (``w``, ``c``, ``p``, ``R``), ``flip_indices``.
    Optional: ``keypoints_3d`` (F, K, 3) and ``lifting_target`` (F_t, K, 3)
    camera-frame metres with their ``*_visible``. Modified: those keys, a
    fresh ``camera_param``; added: ``flip`` (bool).

    Args:
        flip_prob (float): Probability of the flip. Defaults to 0.5.
    """

    def __init__(self, flip_prob: float = 0.5):
        if not 0 <= flip_prob <= 1:
            raise ValueError(f'flip_prob must be in [0, 1], got {flip_prob}')
        self.flip_prob = flip_prob

    def transform(self, results: Dict) -> Dict:
        """Flip with probability ``flip_prob`` (NumPy's global generator,
        as MMPose's transforms draw)."""
        results['flip'] = bool(np.random.rand() < self.flip_prob)
        if not results['flip']:
            return results
        flip_indices = results['flip_indices']
        camera = dict(results['camera_param'])
        width = float(camera['w'])
        results['keypoints'], results['keypoints_visible'] = \
            flip_keypoints_custom_center(
                results['keypoints'], results['keypoints_visible'],
                flip_indices, center_mode='static', center_x=width / 2)
        for key, visible_key in _KEYS_3D:
            if key in results:
                results[key], results[visible_key] = \
                    flip_keypoints_custom_center(
                        results[key], results[visible_key], flip_indices,
                        center_mode='static', center_x=0.0)
        centre = np.array(camera['c'], dtype=np.float64)
        centre[0] = width - centre[0]
        tangential = np.array(camera['p'], dtype=np.float64)
        tangential[1] = -tangential[1]
        camera.update(
            c=centre,
            p=tangential,
            R=np.asarray(camera['R'], dtype=np.float64) *
            np.array([-1.0, 1.0, 1.0]))
        results['camera_param'] = camera
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(flip_prob={self.flip_prob})'
