"""Calibrated multi-view triangulation (DLT), the baseline reported beside multi-view MetaPose."""
import numpy as np


def projection_matrix(camera_param: dict) -> np.ndarray:
    """(3, 4) pinhole projection ``K [R^T | -R^T T]`` of an MMPose ``camera_param``.

    ``R`` camera-to-world, ``T`` camera centre (world units), ``f``, ``c``
    pixels (MMPose's ``cameras.pkl`` convention); lens distortion is ignored.
    """
    rot = np.asarray(camera_param['R'], dtype=np.float64)
    centre = np.asarray(camera_param['T'], dtype=np.float64).reshape(3, 1)
    focal = np.asarray(camera_param['f'], dtype=np.float64).reshape(2)
    principal = np.asarray(camera_param['c'], dtype=np.float64).reshape(2)
    intrinsics = np.array([[focal[0], 0, principal[0]], [0, focal[1], principal[1]], [0, 0, 1]])
    return intrinsics @ np.concatenate([rot.T, -rot.T @ centre], axis=1)


def triangulate_dlt(points2d: np.ndarray, projections: np.ndarray,
                    weights: np.ndarray = None) -> np.ndarray:
    """Linear (DLT) triangulation of every joint from V >= 2 calibrated views.

    Each view adds the rows ``u P_3 - P_1`` and ``v P_3 - P_2`` (scaled by its
    weight) to a homogeneous system solved by SVD.

    Args:
        points2d (np.ndarray): (V, ..., 2) pixels.
        projections (np.ndarray): (V, 3, 4) projection matrices.
        weights (np.ndarray, optional): (V, ...) per-view confidences.

    Returns:
        np.ndarray: (..., 3) points in the projections' world frame.
    """
    points2d = np.asarray(points2d, dtype=np.float64)
    views = points2d.shape[0]
    if views < 2 or projections.shape != (views, 3, 4):
        raise ValueError(f'triangulate_dlt: need V >= 2 views and (V, 3, 4) projections, got '
                         f'points {points2d.shape}, projections {projections.shape}')
    weights = np.ones(points2d.shape[:-1]) if weights is None else np.asarray(weights, float)
    # (V, ..., 2) -> (..., V, 2) and rows (..., 2V, 4)
    pts = np.moveaxis(points2d, 0, -2)
    wts = np.moveaxis(weights, 0, -1)[..., None]
    proj = projections.reshape((1, ) * (pts.ndim - 2) + projections.shape)
    rows_u = pts[..., 0:1] * proj[..., 2, :] - proj[..., 0, :]
    rows_v = pts[..., 1:2] * proj[..., 2, :] - proj[..., 1, :]
    system = np.concatenate([rows_u * wts, rows_v * wts], axis=-2)
    homogeneous = np.linalg.svd(system)[2][..., -1, :]
    return homogeneous[..., :3] / homogeneous[..., 3:]
