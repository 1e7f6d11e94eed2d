"""Reader of P-STMO's MPI-INF-3DHP npz files (SPEC_3DHP section 7).

* ``data_train_3dhp.npz``: ``np.load(..., allow_pickle=True)['data'].item()``
  maps ``'S<s> Seq<q>'`` to ``[cams, fps]``; ``cams`` maps a camera id
  (``'0'``...) to ``{'data_2d': (F, 17, 2) px, 'data_3d': (F, 17, 3) mm}``.
* ``data_test_3dhp.npz``: maps ``'TS1'``... to ``{'data_2d', 'data_3d',
  'valid' (n,) 0/1}`` with every frame.

P-STMO's files hold ``univ_annot3``; FinePOSE's ``*_ori.npz`` hold ``annot3``
in the same layout. Joints in the 3DHP order, camera frame, absolute.
"""
from typing import List

import numpy as np

from metapose_plugin.engine.fileio import load_npz

_NUM_JOINTS = 17


def _check(array, path: str, where: str, field: str, channels: int,
           num_frames: int = -1) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim != 3 or array.shape[1:] != (_NUM_JOINTS, channels):
        raise ValueError(f'{path}: {where}: {field} has shape {array.shape}, '
                         f'expected (F, {_NUM_JOINTS}, {channels})')
    if num_frames >= 0 and len(array) != num_frames:
        raise ValueError(f'{path}: {where}: {field} has {len(array)} frames, '
                         f'data_2d has {num_frames}')
    if not np.isfinite(array).all():
        finite = np.isfinite(array.reshape(len(array), -1)).all(1)
        bad = np.flatnonzero(~finite)
        raise ValueError(f'{path}: {where}: {field} is not finite in frames '
                         f'{bad[:5].tolist()}')
    return array.astype(np.float64)


def read_pstmo_npz(path: str) -> List[dict]:
    """All sequences (one per camera view for training files) of a file.

    Args:
        path (str): ``data_train_3dhp*.npz`` or ``data_test_3dhp*.npz``.

    Returns:
        list[dict]: In file order, each with ``sequence`` (``'S1 Seq1'`` or
        ``'TS1'``), ``camera_id`` (str; ``''`` for test sequences),
        ``keypoints`` (F, 17, 2) px, ``keypoints_3d`` (F, 17, 3) mm,
        ``valid`` (F,) bool (all True for training views), ``is_test``.
    """
    expected = "a P-STMO 3DHP npz (a pickled dict under 'data')"
    archive = load_npz(path, expected, allow_pickle=True)
    data = archive.get('data')
    data = data.item() if isinstance(data, np.ndarray) and data.dtype == object \
        and data.ndim == 0 else data
    if not isinstance(data, dict):
        raise ValueError(f'{path}: not {expected}; fields: {sorted(archive)}')
    out = []
    for sequence, entry in data.items():
        if isinstance(entry, dict):  # test layout
            for field in ('data_2d', 'data_3d', 'valid'):
                if field not in entry:
                    raise ValueError(f'{path}: {sequence}: no {field!r} '
                                     f'(has {sorted(entry)})')
            keypoints = _check(entry['data_2d'], path, sequence, 'data_2d', 2)
            valid = np.asarray(entry['valid']).reshape(-1)
            if len(valid) != len(keypoints) or not np.isin(valid,
                                                           (0, 1)).all():
                raise ValueError(
                    f'{path}: {sequence}: valid must be {len(keypoints)} '
                    f'values in {{0, 1}}, got shape {valid.shape}')
            out.append(
                dict(sequence=str(sequence),
                     camera_id='',
                     keypoints=keypoints,
                     keypoints_3d=_check(entry['data_3d'], path, sequence,
                                         'data_3d', 3, len(keypoints)),
                     valid=valid.astype(bool),
                     is_test=True))
            continue
        if not (isinstance(entry, (list, tuple)) and len(entry) == 2
                and isinstance(entry[0], dict)):
            raise ValueError(f'{path}: {sequence}: expected [cams, fps] '
                             f'(training) or a dict with data_2d, data_3d, '
                             f'valid (test), got {type(entry).__name__}')
        for camera, view in entry[0].items():
            where = f'{sequence} camera {camera}'
            for field in ('data_2d', 'data_3d'):
                if field not in view:
                    raise ValueError(f'{path}: {where}: no {field!r}')
            keypoints = _check(view['data_2d'], path, where, 'data_2d', 2)
            out.append(
                dict(sequence=str(sequence),
                     camera_id=str(camera),
                     keypoints=keypoints,
                     keypoints_3d=_check(view['data_3d'], path, where,
                                         'data_3d', 3, len(keypoints)),
                     valid=np.ones(len(keypoints), dtype=bool),
                     is_test=False))
    if not out:
        raise ValueError(f'{path}: holds no sequence')
    return out
