"""Readers and writers of the MPI-INF-3DHP ``.mat`` files the test scripts use.

* ``TSk/annot_data.mat``: the test ground truth. The released files are
  MATLAB v7.3 (HDF5, read with ``h5py``); v5/v7 files (as written by
  ``scipy.io.savemat`` or Octave) are read with ``scipy.io``.
* Prediction files of the two drivers (SPEC_3DHP section 4):

  - ``pstmo`` (P-STMO's ``mpii_test_predictions_py.m``, also CA-PF): one
    variable per sequence ``TSk``, single precision, 3 x 17 x 1 x N_valid:
    valid frames only, in frame order. Reference ``univ_annot3``.
  - ``finepose`` (FinePOSE's ``mpii_test_predictions_ori_py.m``): one variable
    per sequence, double, 3 x 17 x n x H: every frame, one slice per sampling
    step. Reference ``annot3``.

MATLAB arrays are column-major: scipy returns them with MATLAB's axis order,
h5py with the axes reversed. Both are returned here frame-major, (N, K, C).

Note:
    N frames, K = 17 joints (3DHP order), H sampling steps.
"""
import os
import os.path as osp
import re
from typing import Dict, List, Mapping, Optional, Tuple

import h5py
import numpy as np
import scipy.io

from metapose_plugin.engine.fileio import read_or_raise

#: Layouts of prediction files: layout -> ground-truth skeleton it is
#: evaluated against, whether it holds every frame, its dtype.
PREDICTION_LAYOUTS = {
    'pstmo': dict(skeleton='univ_annot3', all_frames=False,
                  dtype=np.float32),
    'finepose': dict(skeleton='annot3', all_frames=True, dtype=np.float64),
}

_ANNOT_FIELDS = ('valid_frame', 'activity_annotation', 'annot2', 'annot3',
                 'univ_annot3')


def _is_hdf5(path: str) -> bool:
    # a v7.3 MAT file is HDF5 with a 512-byte user block before the signature
    with open(path, 'rb') as f:
        head = f.read(520)
    return head[512:520] == b'\x89HDF\r\n\x1a\n' or head[:8] == (
        b'\x89HDF\r\n\x1a\n')


def _read_hdf5_variables(path: str, names: Optional[List[str]]
                         ) -> Tuple[Dict[str, np.ndarray], List[str]]:
    """The variables ``names`` (all numeric ones when None) of a v7.3 MAT
    file that it holds, in MATLAB's axis order, and every variable name."""
    out = {}
    with h5py.File(path, 'r') as f:
        present = sorted(f.keys())
        keys = names if names is not None else [
            k for k in present if isinstance(f[k], h5py.Dataset) and not k.startswith('#')
        ]
        for name in keys:
            if name in f:
                # h5py sees MATLAB's column-major array with reversed axes
                out[name] = np.asarray(f[name][()]).transpose()
    return out, present


def load_mat_variables(path: str,
                       names: Optional[List[str]] = None
                       ) -> Dict[str, np.ndarray]:
    """Numeric variables of a MAT file of any version, in MATLAB's axis order.

    Args:
        path (str): The ``.mat`` file (v5, v7 or v7.3/HDF5).
        names (list[str], optional): Variables to read; all numeric top-level
            variables if None.

    Returns:
        dict: name -> array with MATLAB's shape (e.g. (3, 17, 1, n)).

    Raises:
        FileNotFoundError; KeyError (a variable is missing);
        UnreadableFileError (a truncated or corrupt file, or not a MAT file).
    """
    expected = 'a MATLAB file (v5/v7, or v7.3/HDF5)'
    if read_or_raise(path, _is_hdf5, expected):
        out, present = read_or_raise(path, lambda file: _read_hdf5_variables(file, names),
                                     'a MATLAB v7.3 (HDF5) file')
        missing = [name for name in names or () if name not in out]
        if missing:
            raise KeyError(f'{path}: no variable {missing[0]!r} (has {present})')
        return out
    data = read_or_raise(path, scipy.io.loadmat, expected)
    keys = names if names is not None else [
        k for k in data if not k.startswith('__')
        and isinstance(data[k], np.ndarray) and data[k].dtype != object
    ]
    for name in keys:
        if name not in data:
            present = sorted(k for k in data if not k.startswith('__'))
            raise KeyError(f'{path}: no variable {name!r} (has {present})')
    return {name: data[name] for name in keys}


def _poses_from_matlab(array: np.ndarray, channels: int, path: str,
                       name: str) -> np.ndarray:
    """(C, K, 1, n) or (C, K, n) (MATLAB) -> (n, K, C)."""
    array = np.asarray(array)
    if array.ndim == 4 and array.shape[2] == 1:
        array = array[:, :, 0]
    elif array.ndim == 2:  # MATLAB drops trailing singleton axes: n = 1
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[0] != channels:
        raise ValueError(f'{path}: {name} has shape {array.shape}, expected '
                         f'({channels}, K, 1, n)')
    return np.ascontiguousarray(array.transpose(2, 1, 0))


def load_annot_data(path: str) -> Dict[str, np.ndarray]:
    """One test sequence's ``annot_data.mat``.

    Args:
        path (str): ``.../TSk/annot_data.mat``.

    Returns:
        dict: ``valid`` (n,) bool, ``activity`` (n,) int64 (1..7), ``annot2``
        (n, 17, 2) pixels, ``annot3`` and ``univ_annot3`` (n, 17, 3) mm,
        camera frame, absolute.
    """
    raw = load_mat_variables(path, list(_ANNOT_FIELDS))
    valid = np.asarray(raw['valid_frame']).reshape(-1)
    activity = np.asarray(raw['activity_annotation']).reshape(-1)
    out = dict(
        valid=valid.astype(bool),
        activity=activity.astype(np.int64),
        annot2=_poses_from_matlab(raw['annot2'], 2, path, 'annot2'),
        annot3=_poses_from_matlab(raw['annot3'], 3, path, 'annot3'),
        univ_annot3=_poses_from_matlab(raw['univ_annot3'], 3, path,
                                       'univ_annot3'))
    n = len(valid)
    for name in ('activity', 'annot2', 'annot3', 'univ_annot3'):
        if len(out[name]) != n:
            raise ValueError(f'{path}: {name} has {len(out[name])} frames '
                             f'but valid_frame has {n}')
    if not np.isin(valid, (0, 1)).all():
        raise ValueError(f'{path}: valid_frame holds values other than 0/1')
    return out


def find_test_sequences(gt_root: str) -> List[str]:
    """Names of the ``TSk`` folders under ``gt_root`` that hold an
    ``annot_data.mat``, ordered by k."""
    if not osp.isdir(gt_root):
        raise FileNotFoundError(f'{gt_root}: no such folder')
    found = [
        d for d in os.listdir(gt_root) if re.fullmatch(r'TS\d+', d)
        and osp.isfile(osp.join(gt_root, d, 'annot_data.mat'))
    ]
    if not found:
        raise FileNotFoundError(
            f'{gt_root}: no TS<k>/annot_data.mat sequence folders')
    return sorted(found, key=lambda d: int(d[2:]))


def load_predictions(path: str, layout: str,
                     sequences: List[str]) -> Dict[str, np.ndarray]:
    """Predictions of a ``.mat`` file in one of :data:`PREDICTION_LAYOUTS`.

    Args:
        path (str): The predictions file.
        layout (str): ``'pstmo'`` or ``'finepose'``.
        sequences (list[str]): Sequence variables to read (``'TS1'``...).

    Returns:
        dict: sequence -> predictions in mm with the file's dtype, root as
        stored: ``pstmo`` (N_valid, 17, 3); ``finepose`` (H, n, 17, 3).
    """
    if layout not in PREDICTION_LAYOUTS:
        raise ValueError(f'unknown layout {layout!r}; expected one of '
                         f'{sorted(PREDICTION_LAYOUTS)}')
    raw = load_mat_variables(path, list(sequences))
    out = {}
    for name in sequences:
        array = np.asarray(raw[name])
        if layout == 'pstmo':
            out[name] = _poses_from_matlab(array, 3, path, name)
            continue
        if array.ndim == 3:  # MATLAB drops a trailing singleton axis: H = 1
            array = array[..., None]
        if array.ndim != 4 or array.shape[0] != 3:
            raise ValueError(f'{path}: {name} has shape {array.shape}, '
                             'expected (3, 17, n, H) (finepose layout)')
        # (3, K, n, H) -> (H, n, K, 3)
        out[name] = np.ascontiguousarray(array.transpose(3, 2, 1, 0))
    return out


def save_predictions(path: str, predictions: Mapping[str, np.ndarray],
                     layout: str) -> None:
    """Write predictions so that the MATLAB drivers and
    ``tools/analysis_tools/eval_mpi_inf_3dhp.py`` read the same file.

    Args:
        path (str): Output ``.mat`` (MATLAB v5).
        predictions (Mapping[str, np.ndarray]): Sequence (``'TS1'``) ->
            poses in mm, 3DHP order, root-relative. ``pstmo``: the valid
            frames in frame order, (N_valid, 17, 3), written as single.
            ``finepose``: every frame, (n, 17, 3) or (H, n, 17, 3), written
            as double.
        layout (str): ``'pstmo'`` or ``'finepose'``.
    """
    if layout not in PREDICTION_LAYOUTS:
        raise ValueError(f'unknown layout {layout!r}; expected one of '
                         f'{sorted(PREDICTION_LAYOUTS)}')
    dtype = PREDICTION_LAYOUTS[layout]['dtype']
    out = {}
    for name, poses in predictions.items():
        poses = np.asarray(poses, dtype=dtype)
        if layout == 'pstmo':
            if poses.ndim != 3 or poses.shape[-1] != 3:
                raise ValueError(f'{name}: pstmo predictions must be '
                                 f'(N_valid, K, 3), got {poses.shape}')
            out[name] = poses.transpose(2, 1, 0)[:, :, None, :]
        else:
            if poses.ndim == 3:
                poses = poses[None]
            if poses.ndim != 4 or poses.shape[-1] != 3:
                raise ValueError(f'{name}: finepose predictions must be '
                                 f'(n, K, 3) or (H, n, K, 3), got '
                                 f'{poses.shape}')
            out[name] = poses.transpose(3, 2, 1, 0)
    scipy.io.savemat(path, out)
