"""A synthetic MPI-INF-3DHP sample in the real file layouts (no real data).

Writes, under one folder:

* ``data_train_3dhp.npz`` / ``data_test_3dhp.npz``: P-STMO's layout
  (SPEC_3DHP section 7) with ``univ_annot3`` 3D, and the same two files with
  an ``_ori`` suffix holding ``annot3`` (FinePOSE's choice);
* ``TS<k>/annot_data.mat``: the test ground truth as the official scripts
  read it (MATLAB v5, double), so that
  ``tools/analysis_tools/eval_mpi_inf_3dhp.py`` runs on the sample.

Poses: a hand-made 17-joint skeleton (3DHP order, mm) swinging its arms and
legs, turning about the vertical axis, its root 3-5 m in front of the
camera; ``univ_annot3`` rescales the root-relative pose by a per-sequence
factor (0.9-1.1, with a +-1 % wobble per frame) about the same root; 2D is a
pinhole projection (focal 1500 px, principal point at the image centre) in
2048 x 2048 images (TS5/TS6: 1920 x 1080). Test sequences have runs of
invalid frames at the start, in the middle and at the end, and runs of
activity labels 1..7. Coordinates lie on a 1/16 mm (px) grid, exact in
float32. Everything is drawn from one seeded ``RandomState``.
"""
import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import scipy.io

#: Root-relative rest pose in mm, 3DHP order; body frame: x to the person's
#: left, y up, z towards the camera.
_TEMPLATE = np.array(
    [[0, 800, 0], [0, 500, 0], [-180, 480, 0], [-200, 200, 0],
     [-210, -40, 0], [180, 480, 0], [200, 200, 0], [210, -40, 0],
     [-110, 0, 0], [-120, -450, 0], [-120, -880, 0], [110, 0, 0],
     [120, -450, 0], [120, -880, 0], [0, 0, 0], [0, 250, 0], [0, 650, 0]],
    dtype=np.float64)

#: (pivot, moving joints, phase offset) of the limbs that swing about the
#: x axis: arms opposite to the legs on the same side.
_LIMBS = ((2, (3, 4), 0.0), (5, (6, 7), np.pi), (8, (9, 10), np.pi),
          (11, (12, 13), 0.0))

#: Image size (w, h) of each test sequence; training views are 2048 x 2048.
TEST_IMAGE_SIZES = {
    'TS1': (2048, 2048), 'TS2': (2048, 2048), 'TS3': (2048, 2048),
    'TS4': (2048, 2048), 'TS5': (1920, 1080), 'TS6': (1920, 1080)
}
FOCAL_PX = 1500.0


def _rot_x(angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    out = np.zeros(angle.shape + (3, 3))
    out[..., 0, 0] = 1
    out[..., 1, 1], out[..., 1, 2] = c, -s
    out[..., 2, 1], out[..., 2, 2] = s, c
    return out


def _rot_y(angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    out = np.zeros(angle.shape + (3, 3))
    out[..., 1, 1] = 1
    out[..., 0, 0], out[..., 0, 2] = c, s
    out[..., 2, 0], out[..., 2, 2] = -s, c
    return out


def _grid(values: np.ndarray) -> np.ndarray:
    return np.round(values * 16.0) / 16.0


def synthetic_motion(rng: np.random.RandomState,
                     num_frames: int) -> Tuple[np.ndarray, np.ndarray]:
    """One sequence of camera-frame poses.

    Returns:
        tuple: ``annot3`` and ``univ_annot3``, each (F, 17, 3) mm, camera
        frame (x right, y down, z forward), absolute; F = ``num_frames``.
    """
    t = np.arange(num_frames, dtype=np.float64)
    omega = rng.uniform(0.15, 0.3)
    swing = rng.uniform(0.3, 0.7)
    pose = np.repeat(_TEMPLATE[None], num_frames, axis=0)
    for pivot, joints, phase in _LIMBS:
        # (F, 3, 3) swing of the limb about its pivot
        rotation = _rot_x(swing * np.sin(omega * t + phase))
        moving = pose[:, list(joints)] - pose[:, pivot:pivot + 1]
        pose[:, list(joints)] = pose[:, pivot:pivot + 1] + np.einsum(
            'fij,fkj->fki', rotation, moving)
    pose = pose * rng.uniform(0.9, 1.1)
    yaw = rng.uniform(-np.pi, np.pi) + rng.uniform(-0.03, 0.03) * t
    pose = np.einsum('fij,fkj->fki', _rot_y(yaw), pose)
    # body frame (y up) -> camera frame (y down, z forward)
    pose = pose * [1.0, -1.0, -1.0]
    root = np.stack([
        rng.uniform(-300, 300) + rng.uniform(-5, 5) * t,
        np.full_like(t, rng.uniform(-100, 200)),
        np.full_like(t, rng.uniform(3000, 5000)) + rng.uniform(-5, 5) * t
    ], axis=-1)
    annot3 = _grid(pose + root[:, None])
    scale = rng.uniform(0.9, 1.1) * (1 + 0.01 * np.sin(
        rng.uniform(0.05, 0.2) * t))
    univ = _grid(root[:, None] + scale[:, None, None] * pose)
    return annot3, univ


def project(points: np.ndarray, image_size: Tuple[int, int]) -> np.ndarray:
    """Pinhole projection (focal :data:`FOCAL_PX`, centre of the image).

    Args:
        points (np.ndarray): (F, K, 3) mm, camera frame.
        image_size (tuple): (w, h) pixels.

    Returns:
        np.ndarray: (F, K, 2) pixels.
    """
    w, h = image_size
    return _grid(FOCAL_PX * points[..., :2] / points[..., 2:] +
                 [w / 2.0, h / 2.0])


def _runs(rng: np.random.RandomState, num_frames: int,
          labels: Sequence[int]) -> np.ndarray:
    """Label each frame with runs of ``labels`` in order."""
    cuts = np.sort(rng.choice(np.arange(1, num_frames), len(labels) - 1,
                              replace=False))
    out = np.zeros(num_frames, dtype=np.int64)
    for label, start, stop in zip(labels, np.r_[0, cuts],
                                  np.r_[cuts, num_frames]):
        out[start:stop] = label
    return out


def make_synthetic_mpi_inf_3dhp(
        out_dir: str,
        seed: int = 0,
        train_sequences: Sequence[str] = ('S1 Seq1', 'S2 Seq1'),
        train_cameras: Sequence[str] = ('0', '2'),
        train_frames: int = 48,
        test_frames: Optional[Dict[str, int]] = None) -> dict:
    """Write the sample (see the module docstring) into ``out_dir``.

    Args:
        out_dir (str): Output folder (created).
        seed (int): Seed of the ``RandomState``. Defaults to 0.
        train_sequences (Sequence[str]): ``'S<s> Seq<q>'`` keys.
        train_cameras (Sequence[str]): Camera ids of each training sequence.
        train_frames (int): Frames of each training view. Defaults to 48.
        test_frames (dict, optional): Test sequence -> frames; defaults to 32
            frames for each of TS1..TS6.

    Returns:
        dict: What was written, for tests: ``test`` (sequence -> dict of
        ``annot3``, ``univ_annot3``, ``annot2``, ``valid``, ``activity``) and
        ``train`` (``(sequence, camera)`` -> dict of ``annot3``,
        ``univ_annot3``, ``annot2``).
    """
    rng = np.random.RandomState(seed)
    test_frames = test_frames or {s: 32 for s in TEST_IMAGE_SIZES}
    os.makedirs(out_dir, exist_ok=True)
    written = dict(train={}, test={})
    train = {'univ_annot3': {}, 'annot3': {}}
    for sequence in train_sequences:
        views = {'univ_annot3': {}, 'annot3': {}}
        for camera in train_cameras:
            annot3, univ = synthetic_motion(rng, train_frames)
            annot2 = project(annot3, (2048, 2048))
            written['train'][(sequence, camera)] = dict(
                annot3=annot3, univ_annot3=univ, annot2=annot2)
            for skeleton, poses in (('univ_annot3', univ), ('annot3',
                                                            annot3)):
                views[skeleton][camera] = dict(
                    data_2d=annot2.astype(np.float32),
                    data_3d=poses.astype(np.float32))
        for skeleton in train:
            train[skeleton][sequence] = [views[skeleton], 25]

    test = {'univ_annot3': {}, 'annot3': {}}
    for sequence, num_frames in test_frames.items():
        image_size = TEST_IMAGE_SIZES.get(sequence, (2048, 2048))
        annot3, univ = synthetic_motion(rng, num_frames)
        annot2 = project(annot3, image_size)
        valid = np.ones(num_frames, dtype=bool)
        head, tail = rng.randint(1, 4), rng.randint(1, 4)
        middle = rng.randint(num_frames // 3, 2 * num_frames // 3)
        valid[:head] = valid[num_frames - tail:] = False
        valid[middle:middle + rng.randint(2, 5)] = False
        labels = sorted(rng.choice(np.arange(1, 8), 3, replace=False))
        activity = _runs(rng, num_frames, labels)
        written['test'][sequence] = dict(
            annot3=annot3, univ_annot3=univ, annot2=annot2, valid=valid,
            activity=activity)
        for skeleton, poses in (('univ_annot3', univ), ('annot3', annot3)):
            test[skeleton][sequence] = dict(
                data_2d=annot2.astype(np.float32),
                data_3d=poses.astype(np.float32),
                valid=valid.astype(np.float32))
        folder = osp.join(out_dir, sequence)
        os.makedirs(folder, exist_ok=True)
        # MATLAB shapes: 1 x n, C x 17 x 1 x n
        scipy.io.savemat(
            osp.join(folder, 'annot_data.mat'),
            dict(
                valid_frame=valid.astype(np.float64)[None],
                activity_annotation=activity.astype(np.float64)[None],
                annot2=annot2.transpose(2, 1, 0)[:, :, None],
                annot3=annot3.transpose(2, 1, 0)[:, :, None],
                univ_annot3=univ.transpose(2, 1, 0)[:, :, None]),
            do_compression=True)

    for skeleton, suffix in (('univ_annot3', ''), ('annot3', '_ori')):
        np.savez_compressed(
            osp.join(out_dir, f'data_train_3dhp{suffix}.npz'),
            data=np.array(train[skeleton], dtype=object))
        np.savez_compressed(
            osp.join(out_dir, f'data_test_3dhp{suffix}.npz'),
            data=np.array(test[skeleton], dtype=object))
    return written
