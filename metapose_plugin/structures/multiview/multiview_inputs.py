"""Per-view inputs of multi-view MetaPose: bboxes, bbox units, input checks.

Note:
    V views, T frames, K joints, M mixture components. Bboxes use the
    reference's layout **[y_min, y_max, x_min, x_max]** (pixels).
"""
from typing import Optional, Sequence

import numpy as np


def square_bboxes(keypoints: np.ndarray, margin: float = 0.2) -> np.ndarray:
    """Square boxes around 2D keypoints.

    Args:
        keypoints (np.ndarray): (..., K, 2) pixels.
        margin (float): Extra side length as a fraction of the larger extent.

    Returns:
        np.ndarray: (..., 4) ``[y_min, y_max, x_min, x_max]`` float64.
    """
    low, high = keypoints.min(-2), keypoints.max(-2)
    centre = (low + high) / 2
    half = (high - low).max(-1, keepdims=True) * (1 + margin) / 2
    half = np.maximum(half, 1.0)
    return np.concatenate([centre[..., 1:2] - half, centre[..., 1:2] + half,
                           centre[..., 0:1] - half, centre[..., 0:1] + half], axis=-1)


def camera_to_bbox_units(points_cam: np.ndarray, keypoints: np.ndarray, origin: np.ndarray,
                         size: np.ndarray) -> np.ndarray:
    """Express a per-view monocular 3D estimate in the view's bbox units.

    A lifter gives camera-frame joints (any unit, often root-relative); the
    stage-1 solver wants them as the reference's ``pose3d_epi_pred``: x, y in
    the view's square-bbox units and z with the same scale. The scale ``s``
    and 2D shift that best map the estimate's x, y onto the view's 2D
    keypoints (least squares) give ``(s X + [t, 0] - [origin, 0]) / size``.

    Args:
        points_cam (np.ndarray): (..., K, 3) camera-frame estimate.
        keypoints (np.ndarray): (..., K, 2) 2D keypoints of the view, pixels.
        origin (np.ndarray): (..., 2) bbox origin (x_min, y_min), pixels.
        size (np.ndarray): (...,) bbox side, pixels.

    Returns:
        np.ndarray: (..., K, 3) float32 in bbox units.
    """
    xy = points_cam[..., :2] - points_cam[..., :2].mean(-2, keepdims=True)
    uv = keypoints - keypoints.mean(-2, keepdims=True)
    scale = (xy * uv).sum((-1, -2)) / np.maximum((xy * xy).sum((-1, -2)), 1e-12)
    scaled = points_cam * scale[..., None, None]
    shift = keypoints.mean(-2) - scaled[..., :2].mean(-2) - origin
    out = scaled.copy()
    out[..., :2] += shift[..., None, :]
    return (out / size[..., None, None]).astype(np.float32)


def check_views(keypoints: Sequence[np.ndarray], where: str,
                mixtures: Optional[Sequence[np.ndarray]] = None) -> None:
    """Validate per-view inputs of one multi-view sequence.

    Args:
        keypoints (Sequence[np.ndarray]): V arrays (T, K, 2+) pixels.
        where (str): What the inputs are (file, subject, action) for messages.
        mixtures (Sequence[np.ndarray], optional): V arrays (T, K, M, 4).

    Raises:
        ValueError: Fewer than 2 views, views with different frame counts,
            non-finite keypoints, or a mixture with non-positive variance or a
            negative weight; the message names the view, frame and field.
    """
    if len(keypoints) < 2:
        raise ValueError(f'{where}: {len(keypoints)} view(s); multi-view MetaPose needs >= 2')
    counts = [len(k) for k in keypoints]
    if len(set(counts)) > 1:
        raise ValueError(f'{where}: views have different frame counts {counts} '
                         f'(field keypoints, view {counts.index(min(counts))} is shortest)')
    for view, points in enumerate(keypoints):
        bad = ~np.isfinite(np.asarray(points, dtype=np.float64)).reshape(len(points), -1).all(1)
        if bad.any():
            raise ValueError(f'{where}: view {view} frame {int(np.flatnonzero(bad)[0])}: '
                             f'field keypoints is not finite ({int(bad.sum())} frames)')
    for view, mix in enumerate(mixtures or ()):
        mix = np.asarray(mix, dtype=np.float64)
        for field, bad_value, rule in (('variance', mix[..., 3] <= 0, 'must be > 0'),
                                       ('weight', mix[..., 0] < 0, 'must be >= 0'),
                                       ('mixture', ~np.isfinite(mix).all(-1), 'must be finite')):
            bad = bad_value.reshape(len(mix), -1).any(1)
            if bad.any():
                frame = int(np.flatnonzero(bad)[0])
                raise ValueError(f'{where}: view {view} frame {frame}: mixture field {field} '
                                 f'{rule} ({int(bad.sum())} frames)')


# H36M joint <- COCO joint for the joints both skeletons share (the others,
# pelvis 0, spine 7, thorax 8 and head 10, are midpoints of COCO joints in
# MMPose's ``convert_keypoint_definition``).
H36M_FROM_COCO = {1: 12, 2: 14, 3: 16, 4: 11, 5: 13, 6: 15, 9: 0, 11: 5, 12: 7, 13: 9,
                  14: 6, 15: 8, 16: 10}


def heatmap_pixel_ranges(input_center: np.ndarray, input_scale: np.ndarray,
                         heatmap_size: Sequence[int]) -> tuple:
    """Full-frame x and y of the first and last heatmap column and row.

    MMPose's top-down decoding maps heatmap pixel ``j`` of a (H, W) map to
    ``x = j * s_x / W + c_x - s_x / 2`` (and the same for y), with the crop's
    ``input_center`` c and ``input_scale`` s in frame pixels.

    Args:
        input_center (np.ndarray): (..., 2) crop centre, pixels.
        input_scale (np.ndarray): (..., 2) crop size, pixels.
        heatmap_size (Sequence[int]): (W, H) of the heatmaps.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``x_range`` and ``y_range``, each
        (..., 2), for :func:`fit_heatmap_mixture`.
    """
    center = np.asarray(input_center, dtype=np.float64)
    scale = np.asarray(input_scale, dtype=np.float64)
    size = np.asarray(heatmap_size, dtype=np.float64)
    first = center - scale / 2
    last = first + (size - 1) * scale / size
    return (np.stack([first[..., 0], last[..., 0]], -1),
            np.stack([first[..., 1], last[..., 1]], -1))
