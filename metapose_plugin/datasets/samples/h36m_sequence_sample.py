"""Synthetic Human3.6M sequences in VideoPose3D's (and MMPose's) layout.

Real Human3.6M cannot be shipped, so tests, configs and the README's
commands run on a synthetic sample written here, in the exact layout of
VideoPose3D's files (see :mod:`..datasets.datasets.videopose3d_layout`):

- ``data_3d_h36m.npz``: ``positions_3d[subject][action]`` (T, 32, 3)
  float32, world metres, z up, floor at z = 0;
- ``data_2d_h36m_gt.npz``: ``positions_2d[subject][action]`` = 4 x
  (T, 17, 2) float32 pixels, the projection of the 17 kept joints with the
  real calibration of the subject and VideoPose3D's distortion model, plus
  ``metadata``;
- ``data_2d_h36m_cpn_ft_h36m_dbb.npz``: a noisy copy (white noise plus a
  slowly drifting per-joint offset, a few pixels), a detector stand-in;
  some of its sequences are 2 frames longer than the mocap, as real
  detector files can be (readers cut them).

The body is a 17-joint kinematic tree with Human3.6M bone lengths (scaled
per subject), moving smoothly: a root trajectory, a heading, and sinusoidal
hip, knee, shoulder and elbow angles whose amplitudes depend on the action
(walking, sitting, photographing, ...). The 15 joints VideoPose3D removes
are filled with points near their parents, so that the 32-joint arrays look
like the real ones to a reader.

:func:`write_mmpose_layout` rewrites the same sequences in MMPose's layout
(``h36m_<split>.npz`` + ``cameras.pkl`` + a detection ``.npy``).
"""
import os
import os.path as osp
import pickle
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from metapose_plugin.datasets.datasets.h36m_annotations import H36M_CAMERAS
from metapose_plugin.datasets.datasets.videopose3d_layout import (H36M_SYMMETRY, NUM_RAW_JOINTS,
                                                                  VIDEOPOSE3D_KEPT_JOINTS,
                                                                  read_videopose3d_2d,
                                                                  read_videopose3d_3d,
                                                                  split_action_key)
from metapose_plugin.structures.h36m_cameras import (h36m_camera_param, project_to_2d,
                                                     world_to_camera)

FPS = 50.0

#: (subject, action key as in VideoPose3D's files, frames) of the shipped
#: sample: train S1, S5; test S9, S11; the files' quirks (``Photo 1``,
#: ``WalkDog``, ``SittingDown 2``, two trials of one action, a video shorter
#: than 27 frames).
DEFAULT_SEQUENCES: Tuple[Tuple[str, str, int], ...] = (
    ('S1', 'Directions 1', 34),
    ('S1', 'Photo 1', 28),
    ('S1', 'WalkDog', 34),
    ('S5', 'SittingDown 2', 34),
    ('S5', 'Walking 1', 34),
    ('S5', 'Greeting', 28),
    ('S9', 'Walking', 28),
    ('S9', 'Walking 1', 24),
    ('S9', 'Photo', 28),
    ('S9', 'SittingDown', 20),
    ('S11', 'WalkDog 1', 28),
    ('S11', 'Directions 1', 26),
)

#: Bone lengths, metres (typical Human3.6M values).
_BONES = dict(
    hip=0.133, thigh=0.443, shin=0.454, spine=0.233, thorax=0.257,
    neck=0.121, head=0.115, shoulder=0.151, upper_arm=0.279, forearm=0.252)

#: Motion parameters per action (speed m/s, gait Hz, leg / knee / arm
#: swing rad, hip / knee / shoulder / elbow offsets rad, torso lean rad).
_STYLES = dict(
    walk=dict(speed=1.1, freq=0.9, leg=0.4, knee=0.6, arm=0.35, hip0=0.0,
              knee0=0.1, arm0=0.0, elbow0=0.3, lean=0.05),
    slow=dict(speed=0.25, freq=0.35, leg=0.12, knee=0.2, arm=0.3, hip0=0.0,
              knee0=0.05, arm0=0.3, elbow0=0.6, lean=0.05),
    photo=dict(speed=0.15, freq=0.3, leg=0.08, knee=0.1, arm=0.1, hip0=0.0,
               knee0=0.05, arm0=1.3, elbow0=1.9, lean=0.1),
    sit=dict(speed=0.0, freq=0.25, leg=0.25, knee=0.25, arm=0.2, hip0=1.1,
             knee0=1.2, arm0=0.4, elbow0=1.0, lean=0.35),
)
_ACTION_STYLES = dict(
    Walking='walk', WalkingDog='walk', WalkTogether='walk', Sitting='sit',
    SittingDown='sit', Eating='sit', TakingPhoto='photo', Phoning='photo',
    Smoking='photo')


def _sagittal(angle: np.ndarray) -> np.ndarray:
    """Unit vectors (T, 3) hanging down, swung forward by ``angle``."""
    return np.stack([np.sin(angle), np.zeros_like(angle), -np.cos(angle)], -1)


def synthetic_pose_sequence(num_frames: int,
                            action: str,
                            rng: np.random.Generator,
                            size: float = 1.0) -> np.ndarray:
    """One smooth motion of the 17 H36M joints.

    Args:
        num_frames (int): T, frames at 50 fps.
        action (str): Canonical H36M action; picks the motion style.
        rng (np.random.Generator): Draws the phase, start and heading.
        size (float): Scale of every bone (subject size).

    Returns:
        np.ndarray: (T, 17, 3) float64, world metres, z up.
    """
    style = _STYLES[_ACTION_STYLES.get(action, 'slow')]
    t = np.arange(num_frames) / FPS
    phase = 2 * np.pi * style['freq'] * t + rng.uniform(0, 2 * np.pi)
    bone = {name: length * size for name, length in _BONES.items()}

    # body frame: x forward, y left, z up
    right = {}
    left = {}
    for side, shift in ((right, 0.0), (left, np.pi)):
        hip = style['hip0'] + style['leg'] * np.sin(phase + shift)
        knee = style['knee0'] + style['knee'] * (1 + np.sin(phase + shift +
                                                            np.pi / 2)) / 2
        shoulder = style['arm0'] + style['arm'] * np.sin(phase + shift + np.pi)
        elbow = style['elbow0'] + 0.2 * style['arm'] * np.sin(phase + shift)
        side['thigh'] = bone['thigh'] * _sagittal(hip)
        side['shin'] = bone['shin'] * _sagittal(hip - knee)
        side['upper_arm'] = bone['upper_arm'] * _sagittal(shoulder)
        side['forearm'] = bone['forearm'] * _sagittal(shoulder + elbow)
    lean = style['lean'] + 0.05 * np.sin(phase / 2)
    up = -_sagittal(-lean)  # leaning forward
    lateral = np.array([0.0, 1.0, 0.0])
    body = np.zeros((num_frames, 17, 3))
    body[:, 1] = -bone['hip'] * lateral
    body[:, 2] = body[:, 1] + right['thigh']
    body[:, 3] = body[:, 2] + right['shin']
    body[:, 4] = bone['hip'] * lateral
    body[:, 5] = body[:, 4] + left['thigh']
    body[:, 6] = body[:, 5] + left['shin']
    body[:, 7] = bone['spine'] * up
    body[:, 8] = body[:, 7] + bone['thorax'] * up
    body[:, 9] = body[:, 8] + bone['neck'] * up + 0.03 * np.array([1, 0, 0])
    body[:, 10] = body[:, 9] + bone['head'] * up
    body[:, 11] = body[:, 8] + bone['shoulder'] * lateral
    body[:, 12] = body[:, 11] + left['upper_arm']
    body[:, 13] = body[:, 12] + left['forearm']
    body[:, 14] = body[:, 8] - bone['shoulder'] * lateral
    body[:, 15] = body[:, 14] + right['upper_arm']
    body[:, 16] = body[:, 15] + right['forearm']

    # heading and root trajectory on a circle of radius 1.2 m
    radius = 1.2
    heading = rng.uniform(0, 2 * np.pi) + style['speed'] / radius * t
    cos, sin = np.cos(heading), np.sin(heading)
    rotation = np.zeros((num_frames, 3, 3))
    rotation[:, 0, 0], rotation[:, 0, 1] = cos, -sin
    rotation[:, 1, 0], rotation[:, 1, 1] = sin, cos
    rotation[:, 2, 2] = 1.0
    world = np.einsum('tij,tkj->tki', rotation, body)
    around = heading - np.pi / 2
    root = np.stack([radius * np.cos(around), radius * np.sin(around),
                     np.zeros_like(t)], -1) if style['speed'] else np.tile(
                         rng.uniform(-0.5, 0.5, 3) * [1, 1, 0], (len(t), 1))
    # feet on the floor (ankles 8 cm above it)
    root[:, 2] = 0.08 - world[:, [3, 6], 2].min(1)
    return world + root[:, None]


def expand_to_32_joints(joints: np.ndarray) -> np.ndarray:
    """(T, 17, 3) -> (T, 32, 3): the removed joints near their parents."""
    out = np.zeros(joints.shape[:1] + (NUM_RAW_JOINTS, 3))
    out[:, VIDEOPOSE3D_KEPT_JOINTS] = joints
    # removed joint -> (kept joint it copies, offset in metres)
    fill = {4: (3, (0.1, 0, -0.05)), 5: (3, (0.15, 0, -0.05)),
            9: (6, (0.1, 0, -0.05)), 10: (6, (0.15, 0, -0.05)),
            11: (0, (0, 0, 0)), 16: (8, (0, 0, 0)), 24: (8, (0, 0, 0)),
            20: (13, (0, 0, 0)), 21: (13, (0, 0, -0.08)),
            22: (13, (0, 0, -0.1)), 23: (13, (0.03, 0, -0.06)),
            28: (16, (0, 0, 0)), 29: (16, (0, 0, -0.08)),
            30: (16, (0, 0, -0.1)), 31: (16, (0.03, 0, -0.06))}
    for removed, (source, offset) in fill.items():
        out[:, removed] = out[:, VIDEOPOSE3D_KEPT_JOINTS[source]] + offset
    return out


def _detector_noise(shape: tuple, rng: np.random.Generator,
                    sigma_px: float) -> np.ndarray:
    """White noise plus a slowly drifting offset per joint, pixels."""
    drift = np.cumsum(rng.normal(0, sigma_px / 4, shape), axis=0)
    drift -= drift.mean(0)
    return rng.normal(0, sigma_px, shape) + np.clip(drift, -3 * sigma_px,
                                                    3 * sigma_px)


def make_videopose3d_sample(
    sequences: Sequence[Tuple[str, str, int]] = DEFAULT_SEQUENCES,
    seed: int = 0,
    noise_px: float = 3.0,
) -> Tuple[dict, dict, dict]:
    """The three VideoPose3D dicts of a synthetic sample.

    Returns:
        tuple: ``positions_3d`` ({s: {a: (T, 32, 3)}}), ``positions_2d`` of
        the ``gt`` file and of the ``cpn``-like file ({s: {a: [4 x
        (T', 17, 2)]}}), all float32.
    """
    rng = np.random.default_rng(seed)
    sizes = {}
    positions_3d: Dict[str, dict] = {}
    gt: Dict[str, dict] = {}
    noisy: Dict[str, dict] = {}
    for index, (subject, key, num_frames) in enumerate(sequences):
        size = sizes.setdefault(subject, rng.uniform(0.93, 1.07))
        action, _ = split_action_key(key)
        extra = 2 if index % 3 == 0 else 0  # detector files can be longer
        joints = synthetic_pose_sequence(num_frames + extra, action, rng,
                                         size)
        positions_3d.setdefault(subject, {})[key] = expand_to_32_joints(
            joints[:num_frames]).astype(np.float32)
        views_gt, views_noisy = [], []
        for camera in range(len(H36M_CAMERAS)):
            param = h36m_camera_param(subject, camera)
            pixels = project_to_2d(
                world_to_camera(joints.astype(np.float32), param), param)
            views_gt.append(pixels[:num_frames].astype(np.float32))
            views_noisy.append(
                (pixels + _detector_noise(pixels.shape, rng,
                                          noise_px)).astype(np.float32))
        gt.setdefault(subject, {})[key] = views_gt
        noisy.setdefault(subject, {})[key] = views_noisy
    return positions_3d, gt, noisy


def videopose3d_metadata() -> dict:
    """``metadata`` of an H36M-layout 2D file, as VideoPose3D writes it."""
    return dict(
        layout_name='h36m',
        num_joints=len(VIDEOPOSE3D_KEPT_JOINTS),
        keypoints_symmetry=[list(side) for side in H36M_SYMMETRY])


def write_videopose3d_sample(
        out_dir: str,
        sequences: Sequence[Tuple[str, str, int]] = DEFAULT_SEQUENCES,
        seed: int = 0,
        noise_px: float = 3.0) -> Dict[str, str]:
    """Write ``data_3d_h36m.npz``, ``data_2d_h36m_gt.npz`` and
    ``data_2d_h36m_cpn_ft_h36m_dbb.npz`` to ``out_dir``.

    Returns:
        dict: ``'3d'``, ``'gt'``, ``'cpn_ft_h36m_dbb'`` -> written path.
    """
    os.makedirs(out_dir, exist_ok=True)
    positions_3d, gt, noisy = make_videopose3d_sample(sequences, seed,
                                                      noise_px)
    paths = {
        '3d': osp.join(out_dir, 'data_3d_h36m.npz'),
        'gt': osp.join(out_dir, 'data_2d_h36m_gt.npz'),
        'cpn_ft_h36m_dbb': osp.join(out_dir,
                                    'data_2d_h36m_cpn_ft_h36m_dbb.npz'),
    }
    np.savez_compressed(paths['3d'], positions_3d=positions_3d)
    for name, positions in (('gt', gt), ('cpn_ft_h36m_dbb', noisy)):
        np.savez_compressed(
            paths[name],
            positions_2d=positions,
            metadata=videopose3d_metadata())
    return paths


def write_mmpose_layout(out_dir: str,
                        file_3d: str,
                        file_2d_gt: str,
                        file_2d_det: Optional[str] = None,
                        splits: Optional[Dict[str, Sequence[str]]] = None
                        ) -> Dict[str, str]:
    """Rewrite VideoPose3D files in MMPose's layout (``preprocess_h36m.py``).

    Writes ``h36m_<split>.npz`` (``imgname``, ``center``, ``scale``,
    ``part`` (N, 17, 3) pixels + visibility, ``S`` (N, 17, 4) camera-frame
    metres + visibility), ``cameras.pkl`` keyed by (subject, serial) and,
    with ``file_2d_det``, ``h36m_<split>_2d_detection.npy`` (N, 17, 3)
    pixels + score. Image names follow MMPose's
    ``S1/S1_Photo_1.54138969/S1_Photo_1.54138969_000001.jpg`` (1-based
    frames); the box is the 2D extent enlarged 1.2 times.

    Args:
        splits (dict, optional): Split name -> subjects; by default
            ``train`` (S1, S5, S6, S7, S8) and ``test`` (S9, S11), keeping
            the subjects the files have.

    Returns:
        dict: ``'cameras'`` and ``<split>`` / ``<split>_det`` -> path.
    """
    os.makedirs(out_dir, exist_ok=True)
    poses_3d = read_videopose3d_3d(file_3d)
    poses_gt, _ = read_videopose3d_2d(file_2d_gt)
    poses_det = None if file_2d_det is None else read_videopose3d_2d(
        file_2d_det)[0]
    if splits is None:
        splits = dict(train=('S1', 'S5', 'S6', 'S7', 'S8'), test=('S9', 'S11'))
    cameras = {}
    paths = {'cameras': osp.join(out_dir, 'cameras.pkl')}
    for split, split_subjects in splits.items():
        rows: Dict[str, List[np.ndarray]] = dict(
            imgname=[], center=[], scale=[], part=[], S=[], det=[])
        for subject in [s for s in split_subjects if s in poses_3d]:
            for key in sorted(poses_3d[subject]):
                joints = poses_3d[subject][key].astype(np.float64)
                for camera, serial in enumerate(H36M_CAMERAS):
                    param = h36m_camera_param(subject, camera)
                    cameras[(subject, serial)] = param
                    num = len(joints)
                    folder = (f'{subject}_{key.replace(" ", "_")}.{serial}')
                    rows['imgname'] += [
                        f'{subject}/{folder}/{folder}_{i + 1:06d}.jpg'
                        for i in range(num)
                    ]
                    pixels = poses_gt[subject][key][camera][:num]
                    low, high = pixels.min(1), pixels.max(1)
                    rows['center'].append((low + high) / 2)
                    rows['scale'].append((high - low).max(1) * 1.2 / 200)
                    ones = np.ones((num, pixels.shape[1], 1))
                    rows['part'].append(np.concatenate([pixels, ones], -1))
                    rows['S'].append(
                        np.concatenate([world_to_camera(joints, param), ones],
                                       -1))
                    if poses_det is not None:
                        rows['det'].append(
                            np.concatenate(
                                [poses_det[subject][key][camera][:num], ones],
                                -1))
        if not rows['imgname']:
            continue
        paths[split] = osp.join(out_dir, f'h36m_{split}.npz')
        np.savez(
            paths[split],
            imgname=np.array(rows['imgname']),
            **{
                key: np.concatenate(rows[key]).astype(np.float32)
                for key in ('center', 'scale', 'part', 'S')
            })
        if poses_det is not None:
            paths[f'{split}_det'] = osp.join(
                out_dir, f'h36m_{split}_2d_detection.npy')
            np.save(paths[f'{split}_det'],
                    np.concatenate(rows['det']).astype(np.float32))
    with open(paths['cameras'], 'wb') as file:
        pickle.dump(cameras, file)
    return paths
