"""The camera model of multi-view MetaPose's records (Usman et al., CVPR 2022).

The reference's records (``google-research/metapose``) describe each view by
a world-to-camera rotation ``R`` (``X_cam = (X - C) @ R^T``), the camera
centre ``C``, ``cam_intr`` = (fx, fy, cx, cy) pixels and ``cam_kd`` = (k1, k2,
p1, p2, k3), and project with Brown-Conrady distortion (Bouguet's toolbox
order): ``x = X / Z``, ``r^2 = |x|^2``, ``x_d = x (1 + k1 r^2 + k2 r^4 + k3 r^6)
+ (2 p1 x y + p2 (r^2 + 2 x^2), p1 (r^2 + 2 y^2) + 2 p2 x y)``, ``u = f x_d + c``.
Its weak variant divides by the mean depth of the pose instead.

Human3.6M's own calibration (MMPose's ``cameras.pkl``: ``k`` = (k1, k2, k3),
``p`` in ``metadata.xml`` order) becomes ``cam_kd = (k[0], k[1], p[0], p[1],
k[2])`` (:func:`record_camera`). H36M's 2D annotations were made with a
slightly different tangential term (VideoPose3D's ``project_to_2d``); the
two agree to well below a pixel on H36M's small coefficients.

Note:
    K joints, V views. Lengths in world units (the record's), pixels for 2D.
"""
from typing import Tuple

import numpy as np


def record_camera(camera_param: dict) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MMPose ``camera_param`` -> the record's ``(cam_rot, cam_pose3d, cam_intr, cam_kd)``.

    Args:
        camera_param (dict): ``R`` camera-to-world, ``T`` centre (metres),
            ``f``, ``c`` pixels, ``k`` (3,), ``p`` (2,) (MMPose's order).

    Returns:
        tuple: ``R`` (3, 3) world-to-camera, ``C`` (3,) metres, intrinsics
        (4,) fx, fy, cx, cy and distortion (5,) k1, k2, p1, p2, k3; float64.
    """
    rot = np.asarray(camera_param['R'], dtype=np.float64).T
    centre = np.asarray(camera_param['T'], dtype=np.float64).reshape(3)
    intr = np.concatenate([np.asarray(camera_param['f'], dtype=np.float64).reshape(2),
                           np.asarray(camera_param['c'], dtype=np.float64).reshape(2)])
    radial = np.asarray(camera_param['k'], dtype=np.float64).reshape(3)
    tangential = np.asarray(camera_param['p'], dtype=np.float64).reshape(2)
    return rot, centre, intr, np.array([radial[0], radial[1], *tangential, radial[2]])


def project_record_camera(points: np.ndarray, rotation: np.ndarray, centre: np.ndarray,
                          intrinsics: np.ndarray, distortion: np.ndarray,
                          weak: bool = False, eps: float = 1e-8) -> Tuple[np.ndarray, np.ndarray]:
    """Project world points with one record camera (full perspective or weak).

    Args:
        points (np.ndarray): (..., K, 3) world points.
        rotation (np.ndarray): (..., 3, 3) world-to-camera rotation.
        centre (np.ndarray): (..., 3) camera centre.
        intrinsics (np.ndarray): (..., 4) fx, fy, cx, cy.
        distortion (np.ndarray): (..., 5) k1, k2, p1, p2, k3.
        weak (bool): Divide by the pose's mean depth (weak perspective).
        eps (float): Added to the depth before dividing (the reference's).

    Returns:
        tuple: ``uv`` (..., K, 2) pixels and ``depth`` (..., K) camera z.
    """
    cam = np.einsum('...kd,...od->...ko', points - np.asarray(centre)[..., None, :], rotation)
    depth = cam[..., 2]
    divisor = depth.mean(-1, keepdims=True) if weak else depth
    xy = cam[..., :2] / (divisor[..., None] + eps)
    dist = np.asarray(distortion)[..., None, :]
    k1, k2, p1, p2, k3 = (dist[..., i] for i in range(5))
    x, y = xy[..., 0], xy[..., 1]
    r2 = x**2 + y**2
    radial = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3
    distorted = np.stack([x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x**2),
                          y * radial + 2 * p2 * x * y + p1 * (r2 + 2 * y**2)], axis=-1)
    intr = np.asarray(intrinsics)[..., None, :]
    return distorted * intr[..., :2] + intr[..., 2:], depth


def perfect_monocular_estimate(points: np.ndarray, rotation: np.ndarray, centre: np.ndarray,
                               intrinsics: np.ndarray, distortion: np.ndarray,
                               origin: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The reference's ``fake_gt_init``: a perfect monocular 3D estimate of one view.

    The weak projection of the ground truth (pixels) with depth
    ``z / mean(z) * mean(fx, fy)``, in the view's bbox units (``(x - x0, y -
    y0, z) / size``), float32; the "GT + IR" row starts stage 1 from it.

    Args:
        points (np.ndarray): (..., K, 3) world ground truth.
        rotation, centre, intrinsics, distortion: the view's camera (see
            :func:`project_record_camera`), leading dims as ``points``'.
        origin (np.ndarray): (..., 2) bbox (x_min, y_min) pixels.
        size (np.ndarray): (...,) bbox side pixels.

    Returns:
        np.ndarray: (..., K, 3) float32 bbox units.
    """
    uv, depth = project_record_camera(points, rotation, centre, intrinsics, distortion, weak=True)
    focal = np.asarray(intrinsics)[..., :2].mean(-1)
    z = depth / depth.mean(-1, keepdims=True) * focal[..., None]
    xyz = np.concatenate([uv - np.asarray(origin)[..., None, :], z[..., None]], axis=-1)
    return (xyz / np.asarray(size)[..., None, None]).astype(np.float32)
