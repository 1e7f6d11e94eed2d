"""Human3.6M camera calibration and VideoPose3D's camera model.

VideoPose3D's npz files carry no calibration: every reference that reads
them (VideoPose3D, P-STMO, MixSTE, D3DP, FinePOSE, MPM) hard-codes the same
table. It is shipped here as package data,
``metapose_plugin/structures/data/h36m_cameras.json``, a copy of the project's
shared ``data/h36m_cameras.json`` (the numbers of VideoPose3D's
``common/h36m_dataset.py``; subjects S2-S4 have none).

Conventions of the returned ``camera_param`` dict (MMPose's ``cameras.pkl``,
written by its ``preprocess_h36m.py`` and read by ``SimpleCamera``):

- ``R`` (3, 3): camera-to-world rotation, column vectors
  (``X_world = R @ X_cam + T``); world-to-camera is ``R.T @ (X - T)``.
- ``T`` (3, 1): camera centre in world coordinates, **metres**.
- ``f`` (2, 1), ``c`` (2, 1): focal length and principal point, pixels.
- ``k`` (3, 1): radial distortion k1, k2, k3.
- ``p`` (2, 1): tangential distortion in ``metadata.xml`` order, which is
  VideoPose3D's ``tangential_distortion`` **reversed** (MMPose's files store
  ``p = [p2, p1]`` in VideoPose3D's naming).
- ``w``, ``h`` (int): frame size, pixels; ``name`` (``'camera1'``..),
  ``id`` (serial number).

Checked against MMPose's ``cameras.pkl`` of the shipped image sample (same
numbers, same conventions).
"""
import json
import os.path as osp
from functools import lru_cache
from typing import TYPE_CHECKING, Tuple, Union

import numpy as np

if TYPE_CHECKING:
    import torch

#: What :func:`project_to_2d` takes and returns.
Array = Union[np.ndarray, 'torch.Tensor']

#: The shipped calibration table (package data).
H36M_CAMERAS_FILE = osp.join(osp.dirname(osp.abspath(__file__)), 'data', 'h36m_cameras.json')


@lru_cache(maxsize=1)
def _table() -> dict:
    with open(H36M_CAMERAS_FILE) as file:
        return json.load(file)


def h36m_calibrated_subjects() -> Tuple[str, ...]:
    """Subjects of the shipped table (S1, S5, S6, S7, S8, S9, S11)."""
    return tuple(_table()['extrinsics'])


def quaternion_to_matrix(quaternion: np.ndarray) -> np.ndarray:
    """Rotation matrix (3, 3) of a unit quaternion ``(w, x, y, z)``."""
    w, x, y, z = np.asarray(quaternion, dtype=np.float64) / np.linalg.norm(
        quaternion)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


def h36m_camera_param(subject: str, camera_index: int) -> dict:
    """Calibration of one H36M camera in MMPose's ``cameras.pkl`` convention.

    Args:
        subject (str): ``'S1'``, ``'S5'``, ... (subjects of the table).
        camera_index (int): 0..3, the order of ``positions_2d[s][a]`` and of
            MMPose's cameras (54138969, 55011271, 58860488, 60457274).

    Returns:
        dict: ``R``, ``T``, ``c``, ``f``, ``k``, ``p``, ``w``, ``h``,
        ``name``, ``id`` (see the module docstring for units and frames).
        A fresh dict of fresh arrays on every call.

    Raises:
        ValueError: If the subject has no calibration or the index is not
            0..3.
    """
    table = _table()
    if subject not in table['extrinsics']:
        raise ValueError(
            f'subject {subject!r} has no camera calibration in '
            f'{H36M_CAMERAS_FILE} (calibrated: '
            f'{list(table["extrinsics"])}); Human3.6M publishes none for '
            'S2-S4')
    intrinsics = table['intrinsics']
    if not 0 <= int(camera_index) < len(intrinsics):
        raise ValueError(f'camera index {camera_index!r} of subject '
                         f'{subject!r} is not in 0..{len(intrinsics) - 1}')
    intr = intrinsics[int(camera_index)]
    extr = table['extrinsics'][subject][int(camera_index)]
    return dict(
        R=quaternion_to_matrix(extr['orientation']),
        T=np.asarray(extr['translation'], np.float64).reshape(3, 1) / 1000.0,
        c=np.asarray(intr['center'], np.float64).reshape(2, 1),
        f=np.asarray(intr['focal_length'], np.float64).reshape(2, 1),
        k=np.asarray(intr['radial_distortion'], np.float64).reshape(3, 1),
        p=np.asarray(intr['tangential_distortion'][::-1],
                     np.float64).reshape(2, 1),
        w=int(intr['res_w']),
        h=int(intr['res_h']),
        name=f'camera{int(camera_index) + 1}',
        id=str(intr['id']))


def world_to_camera(points: np.ndarray, camera_param: dict) -> np.ndarray:
    """World coordinates (..., 3) -> camera coordinates (..., 3).

    Both in metres; ``camera_param`` in MMPose's convention
    (``X_cam = R.T @ (X_world - T)``).
    """
    rotation = np.asarray(camera_param['R'], dtype=np.float64)
    centre = np.asarray(camera_param['T'], dtype=np.float64).reshape(3)
    return (np.asarray(points, dtype=np.float64) - centre) @ rotation


def camera_intrinsics(camera_param: dict, normalize: bool = False) -> np.ndarray:
    """The references' 9-vector ``[fx, fy, cx, cy, k1, k2, k3, p1, p2]``.

    ``p1, p2`` in VideoPose3D's order (``camera_param['p']`` reversed). With
    ``normalize``, in the normalised screen units of the 2D inputs
    (``u' = u / w * 2 - 1``, ``v' = v / w * 2 - h / w``): ``f * 2 / w`` and
    ``c / w * 2 - [1, h / w]``, as VideoPose3D, FinePOSE and MPM feed their
    models; otherwise pixels.

    Returns:
        np.ndarray: (9, ) float64.
    """
    focal = np.asarray(camera_param['f'], dtype=np.float64).reshape(2)
    centre = np.asarray(camera_param['c'], dtype=np.float64).reshape(2)
    if normalize:
        w, h = float(camera_param['w']), float(camera_param['h'])
        focal = focal / w * 2
        centre = centre / w * 2 - np.array([1.0, h / w])
    radial = np.asarray(camera_param['k'], dtype=np.float64).reshape(3)
    tangential = np.asarray(camera_param['p'], dtype=np.float64).reshape(2)
    return np.concatenate([focal, centre, radial, tangential[::-1]])


def project_to_2d(points: Array, intrinsics: Union[dict, Array]) -> Array:
    """Project camera-frame points with VideoPose3D's distortion model.

    ``x = clip(X / Z, -1, 1)``, ``r2 = |x|^2``,
    ``x_d = x * (1 + k1 r2 + k2 r2^2 + k3 r2^3 + p . x) + p * r2``,
    ``u = f * x_d + c`` (VideoPose3D's ``project_to_2d``; its tangential
    term is not Brown-Conrady's and the clip keeps points behind or far off
    the camera finite). Works on numpy arrays and torch tensors alike.

    Args:
        points (np.ndarray | torch.Tensor): Camera-frame 3D, (..., K, 3),
            any length unit.
        intrinsics (dict | np.ndarray | torch.Tensor): A ``camera_param``
            dict (pixels out), or 9-vectors from :func:`camera_intrinsics`
            of shape (..., 9) whose leading dims are a prefix of the
            points' leading dims (pixels or normalised screen units out).

    Returns:
        np.ndarray | torch.Tensor: (..., K, 2) in the intrinsics' units.
    """
    if isinstance(intrinsics, dict):
        intrinsics = camera_intrinsics(intrinsics)
    # (..., 9) -> (..., 1, ..., 1, 9): broadcast over the points' extra dims
    extra = points.ndim - intrinsics.ndim
    intrinsics = intrinsics.reshape(
        tuple(intrinsics.shape[:-1]) + (1, ) * extra + (9, ))
    focal, centre = intrinsics[..., 0:2], intrinsics[..., 2:4]
    k1, k2, k3 = (intrinsics[..., i:i + 1] for i in (4, 5, 6))
    tangential = intrinsics[..., 7:9]
    xy = (points[..., :2] / points[..., 2:3]).clip(-1, 1)
    r2 = xy[..., 0:1]**2 + xy[..., 1:2]**2
    radial = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3
    tan = tangential[..., 0:1] * xy[..., 0:1] + \
        tangential[..., 1:2] * xy[..., 1:2]
    return focal * (xy * (radial + tan) + tangential * r2) + centre
