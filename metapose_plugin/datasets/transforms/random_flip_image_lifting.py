from typing import Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

# keys flipped by negating x (index 0 of the last axis); joints on axis -2
_FRAME_KEYS = ('keypoint_labels', 'lifting_target', 'lifting_target_label')
# per-joint keys (joint axis last) that only swap left and right
_VISIBILITY_KEYS = ('keypoints_visible', 'lifting_target_visible')


@TRANSFORMS.register_module()
class RandomFlipImageLifting(BaseTransform):
    """Horizontally flip the crop, both 2D views and the 3D target.

    With probability ``prob`` (SPEC section 5 augmentation), after
    :class:`LoadPersonCrop`:

    - ``img`` (H, W, 3): mirrored, crop pixel x -> W - 1 - x;
    - ``keypoints`` (1, K, 2) crop pixels: x -> W - 1 - x (the same mirror);
    - ``keypoint_labels`` (1, K, 2) normalised full frame: x -> -x (mirror
      about the frame centre, as VideoPose3D-style lifters do);
    - ``lifting_target(_label)`` (1, K, 3) and ``target_root`` (1, 3),
      camera frame metres: X -> -X;
    - every per-joint key is reordered with ``flip_indices`` (left/right
      swap); ``flip`` toggles (it tells whether the sample is mirrored
      relative to the file) and ``flip_direction`` is 'horizontal' or None.

    Convention: the three mirrors have different axes (crop centre, frame
    centre, camera principal point), so absolute positions are not related
    by one flip, but every offset from the root joint is negated in x by all
    three: the projection of the flipped 3D pose, taken relative to the
    projected root, matches the flipped 2D views relative to their root
    exactly as well as it did before flipping. ``center``/``scale`` keep
    describing the box in the unflipped frame. Flipping twice is the
    identity.

    Required keys: ``img``, ``keypoints``, ``flip_indices``. Optional:
    the other keys above.

    Args:
        prob (float): Probability of flipping a sample. Defaults to 0.5.
    """

    def __init__(self, prob: float = 0.5):
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob

    @staticmethod
    def _swap(values: np.ndarray, flip_indices: Sequence[int],
              axis: int) -> np.ndarray:
        return np.take(values, flip_indices, axis=axis)

    def _flip(self, results: dict) -> None:
        flip_indices = list(results['flip_indices'])
        width = results['img'].shape[1]
        results['img'] = cv2.flip(results['img'], 1)

        keypoints = self._swap(results['keypoints'], flip_indices, -2).copy()
        keypoints[..., 0] = width - 1 - keypoints[..., 0]
        results['keypoints'] = keypoints
        for key in _FRAME_KEYS:
            if key in results:
                values = self._swap(results[key], flip_indices, -2).copy()
                values[..., 0] = -values[..., 0]
                results[key] = values
        for key in _VISIBILITY_KEYS:
            if key in results:
                results[key] = self._swap(results[key], flip_indices, -1)
        if 'target_root' in results:
            root = np.array(results['target_root'], copy=True)
            root[..., 0] = -root[..., 0]
            results['target_root'] = root

    def transform(self, results: dict) -> dict:
        """Flip one sample with probability ``prob``."""
        if np.random.rand() < self.prob:
            self._flip(results)
            results['flip'] = not results.get('flip', False)
        else:
            results.setdefault('flip', False)
        results['flip_direction'] = 'horizontal' if results['flip'] else None
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'
