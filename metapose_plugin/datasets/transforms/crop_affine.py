"""The person-crop affine of SPEC section 1, shared by images and keypoints."""
from typing import Sequence, Tuple

import numpy as np


def get_crop_affine(center: Sequence[float], scale: Sequence[float],
                    input_size: Tuple[int, int]) -> np.ndarray:
    """Affine matrix from full-frame pixels to crop pixels (no rotation).

    The box centre ``center`` goes to ``((W - 1) / 2, (H - 1) / 2)`` and a
    vertical segment of length ``(200 * scale[0] - 1) / 2`` to one of length
    ``(W - 1) / 2``, as the H36M-Toolbox / CA-PF ``get_affine_transform``
    does; only ``scale[0]`` is used, so the crop covers ``200 * scale[0]``
    frame pixels across and ``200 * scale[0] * H / W`` down.

    Args:
        center (Sequence[float]): Box centre (x, y) in frame pixels.
        scale (Sequence[float]): Box scale, frame pixels / 200; a scalar
            or (sx, sy) of which only the first value is read.
        input_size (tuple[int, int]): Crop size (W, H), e.g. (192, 256).

    Returns:
        np.ndarray: float64 matrix of shape (2, 3), for ``cv2.warpAffine``
        and :func:`apply_affine`.
    """
    width, height = input_size
    scale_x = float(np.ravel(scale)[0])
    ratio = (width - 1) / (200.0 * scale_x - 1)
    cx, cy = float(center[0]), float(center[1])
    return np.array([[ratio, 0.0, (width - 1) / 2 - ratio * cx],
                     [0.0, ratio, (height - 1) / 2 - ratio * cy]])


def apply_affine(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a (2, 3) affine matrix to points of shape (..., 2)."""
    return points @ matrix[:, :2].T + matrix[:, 2]
