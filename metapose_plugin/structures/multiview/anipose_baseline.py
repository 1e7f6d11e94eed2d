"""The AniPose bundle-adjustment baseline of multi-view MetaPose.

The reference's ``launch_anipose.py`` (Usman et al., CVPR 2022,
``google-research/metapose``) compares MetaPose with classical bundle
adjustment by ``aniposelib`` (Karashchuk et al., "Anipose: a toolkit for
robust markerless 3D pose estimation", Cell Reports 2021): per frame, one
AniPose camera per view (Rodrigues rotation, translation, one focal length,
one radial coefficient) is initialised from the calibration (``f`` = mean of
``fx, fy``, ``k1 = 0``), refined by ``CameraGroup.bundle_adjust_iter`` on
that frame's 2D points (pixels relative to the principal point), and the
joints are triangulated with the refined cameras and rotated into view 0's
camera frame. This module does the same with the same library and settings
(``aniposelib`` 0.4.3, the reference's version, whose defaults are 10
iterations and 100 samples per iteration).

``aniposelib`` is an optional dependency (``pip install
metapose-plugin[anipose]``, or ``tools/install.sh``).

Note:
    V views, K joints. Rotations ``R`` map world to camera as the
    reference's records (``X_cam = (X - C) @ R^T``), ``C`` the camera
    centre in world units.
"""
from typing import Dict, Optional

import cv2
import numpy as np

#: aniposelib's ``bundle_adjust_iter`` defaults in the reference's version
#: (0.4.3); later versions changed them (6 iterations, 200 samples).
BUNDLE_ADJUST_ITER = dict(n_iters=10, n_samp_iter=100)


def _camera_group_cls():
    try:
        from aniposelib.cameras import Camera, CameraGroup
    except ImportError as error:
        raise ImportError('the AniPose baseline needs aniposelib: pip install '
                          '"metapose-plugin[anipose]" (or run tools/install.sh)') from error
    return Camera, CameraGroup


def anipose_camera_params(rotations: np.ndarray, centres: np.ndarray,
                          intrinsics: np.ndarray) -> np.ndarray:
    """AniPose's 8 camera parameters per view from a calibration.

    Args:
        rotations (np.ndarray): (V, 3, 3) world-to-camera rotations.
        centres (np.ndarray): (V, 3) camera centres, world units.
        intrinsics (np.ndarray): (V, 4) fx, fy, cx, cy pixels.

    Returns:
        np.ndarray: (V, 8) ``[rvec (3), tvec = -R C (3), mean(fx, fy), k1 = 0]``.
    """
    params = []
    for rot, centre, intr in zip(rotations, centres, intrinsics):
        rvec = cv2.Rodrigues(np.asarray(rot, dtype=np.float64))[0].ravel()
        tvec = np.asarray(rot, dtype=np.float64) @ -np.asarray(centre, dtype=np.float64)
        params.append(np.concatenate([rvec, tvec, [np.mean(intr[:2]), 0.0]]))
    return np.stack(params)


def anipose_bundle_adjust(points2d: np.ndarray, rotations: np.ndarray, centres: np.ndarray,
                          intrinsics: np.ndarray,
                          perturb: Optional[np.random.Generator] = None) -> Dict[str, object]:
    """Bundle-adjust the cameras of one frame on its 2D points, then triangulate.

    Args:
        points2d (np.ndarray): (V, K, 2) full-frame pixels (e.g. the mixture
            means, or the ground-truth reprojections).
        rotations (np.ndarray): (V, 3, 3) world-to-camera rotations of the
            initial calibration.
        centres (np.ndarray): (V, 3) camera centres (world units).
        intrinsics (np.ndarray): (V, 4) fx, fy, cx, cy pixels.
        perturb (np.random.Generator, optional): Replace each camera's
            rotation and translation by N(0, 1) draws before adjusting (the
            reference's ``--gt_init=false``). Defaults to None: start from the
            calibration (the reference's default).

    Returns:
        dict: ``pose_cam0`` (K, 3) triangulated joints in view 0's adjusted
        camera frame (world units), ``params`` (V, 8) the adjusted AniPose
        parameters, ``error`` (float) the median reprojection error in
        pixels that ``bundle_adjust_iter`` returns.
    """
    points2d = np.asarray(points2d, dtype=np.float64)
    views = points2d.shape[0]
    if points2d.ndim != 3 or points2d.shape[-1] != 2 or views < 2:
        raise ValueError(f'anipose_bundle_adjust: points2d must be (V >= 2, K, 2), got '
                         f'{points2d.shape}')
    if not np.isfinite(points2d).all():
        raise ValueError('anipose_bundle_adjust: points2d has non-finite values')
    camera_cls, group_cls = _camera_group_cls()
    cameras = []
    for params in anipose_camera_params(rotations, centres, intrinsics):
        if perturb is not None:
            params = np.concatenate([perturb.normal(size=6), params[6:]])
        camera = camera_cls()
        camera.set_params(params)
        cameras.append(camera)
    group = group_cls(cameras)
    # AniPose cameras have their principal point at 0: pixels relative to (cx, cy)
    centred = points2d - np.asarray(intrinsics, dtype=np.float64)[:, None, 2:4]
    error = group.bundle_adjust_iter(centred, **BUNDLE_ADJUST_ITER)
    pose = group.triangulate(centred)
    params = np.stack([camera.get_params() for camera in group.cameras])
    rot0 = cv2.Rodrigues(params[0, :3])[0]
    return dict(pose_cam0=pose @ rot0.T, params=params, error=float(error))
