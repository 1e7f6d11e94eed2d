"""Readers of the two published Human3.6M annotation layouts.

Both readers return the same columnar dict (N records, K joints):

- ``img_path``: list of N image paths relative to the image folder;
- ``subject`` (N,) str (``'S1'``), ``action`` (N,) canonical name,
  ``subaction`` (N,) int, ``camera_id`` (N,) int in 0..3 (H36M camera order
  54138969, 55011271, 58860488, 60457274), ``frame_id`` (N,) int (1-based,
  the number in the image file name);
- ``center`` (N, 2), ``scale`` (N, 2): person box, frame pixels and
  frame pixels / 200;
- ``frame_size`` (N, 2): (w, h) used to normalise the full-frame view;
- ``keypoints`` (N, K, 2): the selected 2D source in full-frame pixels;
- ``keypoint_labels`` (N, K, 2): the same points, normalised full frame
  ``X / w * 2 - [1, h / w]``;
- ``keypoints_visible`` (N, K): annotation visibility of the joints;
- ``joints_3d`` (N, K, 3): camera frame, metres, absolute;
- ``joints_3d_visible`` (N, K).

Problems in a file raise :class:`ValueError` naming the file, the record
index and the field; a file that cannot be read at all (truncated, another
format) raises ``UnreadableFileError`` (a ``ValueError``) naming it.
"""
import os.path as osp
import re
from typing import Dict, Optional, Sequence

import numpy as np

from metapose_plugin.engine.fileio import load_npy, load_npz, load_pickle
from metapose_plugin.structures.h36m_actions import canonical_action_name

#: H36M camera serial numbers in the order of the pickles' ``camera_id``.
H36M_CAMERAS = ('54138969', '55011271', '58860488', '60457274')

#: Nominal frame size (w, h) per ``camera_id``, the one H36M-Toolbox used to
#: normalise the pickles' full-frame 2D keypoints.
PICKLE_FRAME_SIZES = ((1000, 1002), (1000, 1000), (1000, 1000), (1000, 1002))

#: 2D sources and the pickle field holding each (normalised full frame).
PICKLE_2D_FIELDS = dict(
    gt='joints_2d_gt', cpn='joints_2d_cpn', hrnet='joints_2d_hrnet')

#: MMPose's image names: ``S1/S1_Directions_1.54138969/..._000001.jpg``.
_NPZ_NAME = re.compile(
    r'^(?P<subject>S\d+)_(?P<action>[A-Za-z]+?)(?:_(?P<trial>\d+))?'
    r'\.(?P<camera>\d+)_(?P<frame>\d+)\.\w+$')

# Plausible depth range (metres) of a camera-frame H36M joint.
_DEPTH_RANGE_M = (0.5, 20.0)


def _field(records: Sequence[dict], key: str, path: str) -> list:
    """Values of ``key`` in every record, or an error naming the record."""
    values = []
    for index, record in enumerate(records):
        if key not in record:
            raise ValueError(f'{path}: record {index} has no field {key!r} '
                             f'(fields: {sorted(record)})')
        values.append(record[key])
    return values


def _stack(values: Sequence, key: str, shape: tuple, path: str) -> np.ndarray:
    """Stack per-record arrays of a fixed shape, naming any bad record."""
    out = np.empty((len(values), ) + shape, dtype=np.float64)
    for index, value in enumerate(values):
        array = np.asarray(value, dtype=np.float64)
        if array.shape != shape:
            raise ValueError(f'{path}: record {index} field {key!r} has '
                             f'shape {array.shape}, expected {shape}')
        out[index] = array
    return out


def _check_rows(array: np.ndarray, key: str, shape: tuple,
                path: str) -> np.ndarray:
    """Check a whole-file array has shape (N, *shape)."""
    if array.ndim != len(shape) + 1 or array.shape[1:] != shape:
        raise ValueError(f'{path}: field {key!r} has shape {array.shape}, '
                         f'expected (N, {", ".join(map(str, shape))})')
    return array


def _check_metres(joints_3d: np.ndarray, key: str, path: str) -> None:
    """Reject 3D joints that are not camera-frame metres."""
    depth = np.nanmedian(joints_3d[..., 2]) if joints_3d.size else 1.0
    low, high = _DEPTH_RANGE_M
    if not low <= depth <= high:
        raise ValueError(
            f'{path}: field {key!r} has median depth {depth:.3g}; expected '
            f'camera-frame metres ({low}..{high}). Millimetres or world '
            'coordinates are not supported.')


def _actions(values: Sequence, key: str, path: str) -> np.ndarray:
    names = []
    for index, value in enumerate(values):
        try:
            names.append(canonical_action_name(value))
        except ValueError as error:
            raise ValueError(
                f'{path}: record {index} field {key!r}: {error}') from None
    return np.array(names)


def normalise_frame(pixels: np.ndarray, frame_size: np.ndarray) -> np.ndarray:
    """Frame pixels (N, K, 2) -> normalised full frame, per-record (w, h)."""
    w = frame_size[:, None, 0:1].astype(np.float64)
    h = frame_size[:, None, 1:2].astype(np.float64)
    return pixels / w * 2 - np.concatenate([np.ones_like(h), h / w], -1)


def read_capf_pickle(path: str, keypoint_2d_src: str,
                     num_keypoints: int) -> Dict[str, np.ndarray]:
    """Read a CA-PF / H36M-Toolbox pickle (SPEC section 6).

    The pickle stores the 2D sources normalised (``joints_2d_<src>``) and in
    crop pixels (``joints_2d_<src>_crop``), the 3D joints in camera-frame
    metres. Pixels are recovered with :data:`PICKLE_FRAME_SIZES`; the stored
    crop-pixel fields are not read (the crop transform recomputes them).
    """
    records = load_pickle(path, 'a CA-PF / H36M-Toolbox annotation pickle (a list of dicts)')
    if not isinstance(records, list) or not all(
            isinstance(r, dict) for r in records):
        raise ValueError(f'{path}: expected a list of dicts (CA-PF layout)')
    field_2d = PICKLE_2D_FIELDS[keypoint_2d_src]
    if records and field_2d not in records[0]:
        raise ValueError(
            f'{path}: 2D source {keypoint_2d_src!r} needs field '
            f'{field_2d!r}, absent from the file (fields: '
            f'{sorted(records[0])})')
    k = num_keypoints
    camera_id = np.array(_field(records, 'camera_id', path), dtype=np.int64)
    bad = np.flatnonzero((camera_id < 0) | (camera_id >= len(H36M_CAMERAS)))
    if bad.size:
        raise ValueError(f'{path}: record {bad[0]} field \'camera_id\' is '
                         f'{camera_id[bad[0]]}, expected 0..3')
    frame_size = np.array(PICKLE_FRAME_SIZES)[camera_id]
    labels = _stack(_field(records, field_2d, path), field_2d, (k, 2), path)
    w = frame_size[:, None, 0:1].astype(np.float64)
    h = frame_size[:, None, 1:2].astype(np.float64)
    pixels = (labels + np.concatenate([np.ones_like(h), h / w], -1)) * w / 2
    joints_vis = _stack(_field(records, 'joints_vis', path), 'joints_vis',
                        (k, 3), path)
    joints_3d = _stack(_field(records, 'joints_3d', path), 'joints_3d',
                       (k, 3), path)
    _check_metres(joints_3d, 'joints_3d', path)
    return dict(
        img_path=[str(p) for p in _field(records, 'image', path)],
        subject=np.array(
            [f'S{int(s)}' for s in _field(records, 'subject', path)]),
        action=_actions(_field(records, 'action', path), 'action', path),
        subaction=np.array(_field(records, 'subaction', path), np.int64),
        camera_id=camera_id,
        frame_id=np.array(_field(records, 'image_id', path), np.int64),
        center=_stack(_field(records, 'center', path), 'center', (2, ), path),
        scale=_stack(_field(records, 'scale', path), 'scale', (2, ), path),
        frame_size=frame_size,
        keypoints=pixels,
        keypoint_labels=labels,
        keypoints_visible=joints_vis[..., 0],
        joints_3d=joints_3d,
        joints_3d_visible=joints_vis[..., 0],
    )


def _parse_npz_name(name: str, index: int, path: str) -> dict:
    """Split an MMPose H36M image name into its parts.

    The trial suffix gives ``subaction``: no suffix -> 1, ``_n`` -> n + 1,
    which is the pickles' numbering for the usual ``X`` / ``X_1`` pairs.
    """
    match = _NPZ_NAME.match(osp.basename(name))
    if match is None:
        raise ValueError(
            f'{path}: record {index} field \'imgname\' is {name!r}, expected '
            '"S<n>/S<n>_<Action>[_<trial>].<camera>/..._<frame>.jpg"')
    if match['camera'] not in H36M_CAMERAS:
        raise ValueError(f'{path}: record {index} field \'imgname\' has '
                         f'unknown camera {match["camera"]!r}')
    try:
        action = canonical_action_name(match['action'])
    except ValueError as error:
        raise ValueError(
            f'{path}: record {index} field \'imgname\': {error}') from None
    trial = match['trial']
    return dict(
        subject=match['subject'],
        action=action,
        subaction=1 if trial is None else int(trial) + 1,
        camera=match['camera'],
        frame_id=int(match['frame']))


def read_mmpose_npz(path: str, camera_param_file: str,
                    keypoint_2d_det_file: Optional[str], keypoint_2d_src: str,
                    num_keypoints: int) -> Dict[str, np.ndarray]:
    """Read MMPose's H36M layout (made by its ``preprocess_h36m.py``).

    Found in the files (checked on the sample against the CA-PF pickle of the
    same frames): ``S`` (N, K, 4) is camera-frame metres plus a visibility
    column, identical to the pickles' ``joints_3d``; ``part`` (N, K, 3) is
    ground-truth 2D in frame pixels plus visibility; ``center`` (N, 2) and
    ``scale`` (N, ) describe a box 1.2 x the keypoints' extent (pixels and
    pixels / 200); the detection ``.npy`` (N, K, 3) holds CPN detections in
    frame pixels plus a score, row-aligned with the npz. ``cameras.pkl``
    (keyed by (subject, camera serial)) gives the frame size (w, h).
    """
    k = num_keypoints
    archive = load_npz(path, "MMPose's Human3.6M annotation npz (h36m_<split>.npz)")
    missing = {'imgname', 'center', 'scale', 'part', 'S'} - set(archive)
    if missing:
        raise ValueError(f'{path}: missing fields {sorted(missing)} '
                         f'(fields: {sorted(archive)})')
    names = [str(n) for n in archive['imgname']]
    center = _check_rows(archive['center'].astype(np.float64), 'center',
                         (2, ), path)
    scale = archive['scale'].astype(np.float64).reshape(len(names), -1)
    part = _check_rows(archive['part'].astype(np.float64), 'part', (k, 3),
                       path)
    joints = _check_rows(archive['S'].astype(np.float64), 'S', (k, 4),
                         path)
    _check_metres(joints[..., :3], 'S', path)
    parsed = [_parse_npz_name(n, i, path) for i, n in enumerate(names)]

    cameras = load_pickle(camera_param_file, "MMPose's Human3.6M cameras.pkl")
    if not isinstance(cameras, dict):
        raise ValueError(f'{camera_param_file}: holds a {type(cameras).__name__}, expected '
                         "MMPose's cameras.pkl dict keyed by (subject, camera serial)")
    frame_size = np.empty((len(names), 2), dtype=np.int64)
    for index, info in enumerate(parsed):
        key = (info['subject'], info['camera'])
        if key not in cameras:
            raise ValueError(f'{camera_param_file}: no camera {key} (needed '
                             f'by record {index} of {path})')
        frame_size[index] = cameras[key]['w'], cameras[key]['h']

    if keypoint_2d_src == 'gt':
        pixels = part[..., :2]
    elif keypoint_2d_src == 'cpn':
        if keypoint_2d_det_file is None:
            raise ValueError(f'{path}: keypoint_2d_src=\'cpn\' needs '
                             'keypoint_2d_det_file (the detection .npy)')
        detections = load_npy(keypoint_2d_det_file,
                              'a 2D detection .npy (N, K, 2 or 3)').astype(np.float64)
        if detections.ndim != 3 or detections.shape[0] != len(names) or (
                detections.shape[1] != k) or detections.shape[2] < 2:
            raise ValueError(
                f'{keypoint_2d_det_file}: detections have shape '
                f'{detections.shape}, expected ({len(names)}, {k}, 2 or 3) '
                f'to match {path}')
        pixels = detections[..., :2]
    else:
        raise ValueError(f'{path}: 2D source {keypoint_2d_src!r} is not in '
                         'the npz layout (available: \'gt\', \'cpn\')')

    subjects = np.array([info['subject'] for info in parsed])
    return dict(
        img_path=names,
        subject=subjects,
        action=np.array([info['action'] for info in parsed]),
        subaction=np.array([info['subaction'] for info in parsed], np.int64),
        camera_id=np.array(
            [H36M_CAMERAS.index(info['camera']) for info in parsed],
            np.int64),
        frame_id=np.array([info['frame_id'] for info in parsed], np.int64),
        center=center,
        scale=np.repeat(scale[:, :1], 2, axis=1),
        frame_size=frame_size,
        keypoints=pixels,
        keypoint_labels=normalise_frame(pixels, frame_size),
        keypoints_visible=part[..., 2],
        joints_3d=joints[..., :3],
        joints_3d_visible=joints[..., 3],
    )


def select_records(columns: Dict[str, np.ndarray],
                   keep: np.ndarray) -> Dict[str, np.ndarray]:
    """Keep the records where the boolean mask ``keep`` (N,) is True."""
    indices = np.flatnonzero(keep)
    return {
        key: ([value[i] for i in indices] if isinstance(value, list) else
              value[indices])
        for key, value in columns.items()
    }
