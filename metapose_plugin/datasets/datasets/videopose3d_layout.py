"""Readers of Human3.6M in VideoPose3D's npz layout.

VideoPose3D (Pavllo et al., CVPR 2019) published two kinds of files that most
sequence lifters read (P-STMO, MixSTE, D3DP, FinePOSE, MPM):

- ``data_3d_h36m.npz``: ``positions_3d[subject][action]`` (T, 32, 3), world
  coordinates, metres, reduced to the 17 H36M joints by
  :data:`VIDEOPOSE3D_KEPT_JOINTS`;
- ``data_2d_h36m_<src>.npz``: ``positions_2d[subject][action]``, a list of
  one (T, 17, 2) pixel array per camera (H36M order, see
  :mod:`.h36m_cameras`), plus ``metadata`` (``layout_name``, ``num_joints``,
  ``keypoints_symmetry``). ``<src>`` is ``gt``, ``cpn_ft_h36m_dbb``,
  ``sh_ft_h36m`` or any detector's file in that layout.

Action keys are the original file names: a canonical or aliased name plus an
optional trial number (``'Walking 1'``, ``'Photo'``, ``'SittingDown 2'``).
:func:`split_action_key` names them as :class:`H36MImageDataset` does
(``Photo`` -> ``TakingPhoto``, ``WalkDog`` -> ``WalkingDog``; subaction 1
without a number, n + 1 with ``' n'``, MMPose's ``_n``).

Every problem raises :class:`ValueError` naming the file, subject, action,
camera and field (an unreadable file: ``UnreadableFileError``, a
``ValueError`` too).
"""
import logging
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log

from metapose_plugin.engine.fileio import load_npz
from metapose_plugin.structures.h36m_actions import canonical_action_name

#: Indices of the 17 H36M joints among the 32 of ``positions_3d``
#: (VideoPose3D removes 4, 5, 9, 10, 11, 16, 20-24, 28-31).
VIDEOPOSE3D_KEPT_JOINTS: Tuple[int, ...] = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14,
                                            15, 17, 18, 19, 25, 26, 27)
NUM_RAW_JOINTS = 32
NUM_JOINTS = len(VIDEOPOSE3D_KEPT_JOINTS)

#: What a file of the layout is, for error messages.
VIDEOPOSE3D_NPZ = 'a VideoPose3D npz (data_3d_h36m.npz / data_2d_h36m_<src>.npz)'

#: ``metadata['keypoints_symmetry']`` of an H36M-layout 2D file.
H36M_SYMMETRY = ([4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16])


def split_action_key(key: str) -> Tuple[str, int]:
    """``'Walking 1'`` -> ``('Walking', 2)``, ``'Photo'`` ->
    ``('TakingPhoto', 1)``: canonical name and subaction (trial) number.

    Raises:
        ValueError: If the name is not a Human3.6M action or the suffix is
            not a number.
    """
    name, _, trial = str(key).partition(' ')
    if trial and not trial.isdigit():
        raise ValueError(f'action {key!r}: trial suffix {trial!r} is not a '
                         'number')
    return canonical_action_name(name), 1 if not trial else int(trial) + 1


def read_npz_dict(path: str, field: str, expected: str) -> dict:
    """``archive[field].item()``: a dict pickled in a field of an npz, the
    VideoPose3D layout (also of the multi-view monocular 3D and mixture
    files).

    Args:
        path (str): The npz.
        field (str): The field holding the dict.
        expected (str): What the file should be (for the messages).

    Raises:
        ValueError: An unreadable file, no such field, or not a dict there.
    """
    return _dict_fields(path, (field, ), expected)[0]


def _dict_fields(path: str, fields: Sequence[str], expected: str) -> List[dict]:
    """The dicts pickled in ``fields`` of one npz, read once."""
    archive = load_npz(path, f'{expected} with {list(fields)}', allow_pickle=True)
    values = []
    for field in fields:
        if field not in archive:
            raise ValueError(f'{path}: no field {field!r} (fields: '
                             f'{sorted(archive)}); not {expected}')
        value = archive[field]
        value = value.item() if value.dtype == object and value.ndim == 0 else value
        if not isinstance(value, dict):
            raise ValueError(f'{path}: field {field!r} is a {type(value)}, '
                             'expected a dict')
        values.append(value)
    return values


def read_videopose3d_3d(path: str) -> Dict[str, Dict[str, np.ndarray]]:
    """Read ``data_3d_h36m.npz``.

    Returns:
        dict: ``{subject: {action key: (T, 17, 3) float32}}``, world
        coordinates, metres (32 joints reduced, a 17-joint file kept).
    """
    positions = read_npz_dict(path, 'positions_3d', VIDEOPOSE3D_NPZ)
    out = {}
    for subject, actions in positions.items():
        if not isinstance(actions, dict):
            raise ValueError(f'{path}: positions_3d[{subject!r}] is a '
                             f'{type(actions)}, expected a dict of actions')
        out[subject] = {}
        for action, joints in actions.items():
            joints = np.asarray(joints, dtype=np.float32)
            if joints.ndim != 3 or joints.shape[1:] not in (
                    (NUM_RAW_JOINTS, 3), (NUM_JOINTS, 3)):
                raise ValueError(
                    f'{path}: positions_3d[{subject!r}][{action!r}] has '
                    f'shape {joints.shape}, expected (T, {NUM_RAW_JOINTS}, '
                    f'3) or (T, {NUM_JOINTS}, 3)')
            if joints.shape[1] == NUM_RAW_JOINTS:
                joints = joints[:, VIDEOPOSE3D_KEPT_JOINTS]
            out[subject][action] = joints
    return out


def read_videopose3d_2d(
        path: str) -> Tuple[Dict[str, Dict[str, List[np.ndarray]]], dict]:
    """Read ``data_2d_h36m_<src>.npz``.

    Returns:
        tuple: ``positions_2d`` as ``{subject: {action key: [(T, 17, 2)
        float32 pixels per camera]}}`` and the ``metadata`` dict.
    """
    metadata, positions = _dict_fields(path, ('metadata', 'positions_2d'), VIDEOPOSE3D_NPZ)
    layout = metadata.get('layout_name')
    if layout != 'h36m' or metadata.get('num_joints', NUM_JOINTS) != \
            NUM_JOINTS:
        raise ValueError(
            f'{path}: metadata layout_name={layout!r}, num_joints='
            f'{metadata.get("num_joints")!r}; expected \'h36m\' with '
            f'{NUM_JOINTS} joints (a COCO-layout detector file needs '
            'converting first)')
    symmetry = metadata.get('keypoints_symmetry')
    if symmetry is not None and [list(map(int, s)) for s in symmetry] != [
            list(s) for s in H36M_SYMMETRY]:
        raise ValueError(f'{path}: metadata keypoints_symmetry={symmetry!r}, '
                         f'expected {list(map(list, H36M_SYMMETRY))}')
    out = {}
    for subject, actions in positions.items():
        if not isinstance(actions, dict):
            raise ValueError(f'{path}: positions_2d[{subject!r}] is a '
                             f'{type(actions)}, expected a dict of actions')
        out[subject] = {}
        for action, cameras in actions.items():
            views = []
            for index, keypoints in enumerate(cameras):
                keypoints = np.asarray(keypoints, dtype=np.float32)
                if keypoints.ndim != 3 or keypoints.shape[1:] != (NUM_JOINTS,
                                                                  2):
                    raise ValueError(
                        f'{path}: positions_2d[{subject!r}][{action!r}] '
                        f'camera {index} has shape {keypoints.shape}, '
                        f'expected (T, {NUM_JOINTS}, 2)')
                views.append(keypoints)
            out[subject][action] = views
    return out, metadata


def _check_finite(array: np.ndarray, where: str) -> None:
    bad = ~np.isfinite(array.reshape(len(array), -1)).all(1)
    if bad.any():
        raise ValueError(f'{where} is not finite in {bad.sum()} frames '
                         f'(first: {np.flatnonzero(bad)[:5].tolist()})')


def pair_videopose3d_videos(
        file_3d: str,
        file_2d: str,
        subjects: Optional[Sequence[str]] = None,
        actions: Optional[Sequence[str]] = None,
        cameras: Optional[Sequence[int]] = None) -> List[dict]:
    """Pair the 3D and 2D sequences of the selected videos.

    The 2D sequence is cut to the mocap length, as the references do.

    Args:
        file_3d (str): ``data_3d_h36m.npz``.
        file_2d (str): ``data_2d_h36m_<src>.npz``.
        subjects (Sequence[str], optional): Subjects to keep; every subject
            of the 3D file when None.
        actions (Sequence[str], optional): Canonical action names to keep;
            all when None.
        cameras (Sequence[int], optional): Camera indices (0..3) to keep;
            all cameras of each 2D entry when None.

    Returns:
        list[dict]: One per (subject, action key, camera), sorted: ``subject``,
        ``action_key`` (as in the files), ``action`` (canonical),
        ``subaction``, ``camera_index``, ``joints_world`` (T, 17, 3) world
        metres, ``keypoints`` (T, 17, 2) pixels.

    What the filters leave out (videos, frames, which subjects or actions)
    is logged.

    Raises:
        ValueError: A selected subject missing from either file, an action
            asked for that no selected subject has, a selected camera missing
            from a 2D entry, a 2D entry without any camera, an unknown action
            name, a 2D sequence shorter than its 3D one, non-finite values;
            the message names the file, subject, action, camera and field.
    """
    poses_3d = read_videopose3d_3d(file_3d)
    poses_2d, _ = read_videopose3d_2d(file_2d)
    subjects = sorted(poses_3d) if subjects is None else list(subjects)
    wanted = None if actions is None else {
        canonical_action_name(a)
        for a in actions
    }
    for subject in subjects:
        for path, poses in ((file_3d, poses_3d), (file_2d, poses_2d)):
            if subject not in poses:
                raise ValueError(f'{path}: subject {subject!r} is missing '
                                 f'(present: {sorted(poses)})')
    if wanted is not None:
        present = {_name(file_3d, s, k) for s in subjects for k in poses_3d[s]}
        if wanted - present:
            raise ValueError(f'{file_3d}: actions {sorted(wanted - present)} are missing '
                             f'for subjects {subjects} (present: {sorted(present)})')
    removed = _Removed(poses_3d)
    for subject in sorted(set(poses_3d) - set(subjects)):
        for key in poses_3d[subject]:
            removed.add('subjects', subject, key, len(poses_2d.get(subject, {}).get(key, ())))
    videos = []
    for subject in subjects:
        keys_3d, keys_2d = set(poses_3d[subject]), set(poses_2d[subject])
        for path, extra in ((file_2d, keys_3d - keys_2d),
                            (file_3d, keys_2d - keys_3d)):
            extra = [k for k in sorted(extra)
                     if wanted is None or _name(path, subject, k) in wanted]
            if extra:
                raise ValueError(f'{path}: subject {subject!r} lacks actions '
                                 f'{extra} that the other file has')
        for key in sorted(keys_3d):
            action, subaction = _split(file_3d, subject, key)
            if wanted is not None and action not in wanted:
                removed.add('actions', subject, key, len(poses_2d[subject].get(key, ())))
                continue
            views = poses_2d[subject][key]
            joints = poses_3d[subject][key]
            where_3d = f'{file_3d}: positions_3d[{subject!r}][{key!r}]'
            _check_finite(joints, where_3d)
            if not len(views):
                raise ValueError(f'{file_2d}: positions_2d[{subject!r}][{key!r}] holds no '
                                 'camera (expected a list of one (T, 17, 2) array per camera)')
            indices = range(len(views)) if cameras is None else cameras
            removed.add('cameras', subject, key, len(views) - len(indices))
            for camera in indices:
                where_2d = (f'{file_2d}: positions_2d[{subject!r}][{key!r}] '
                            f'camera {camera}')
                if not 0 <= camera < len(views):
                    raise ValueError(f'{where_2d} is missing (the entry has '
                                     f'{len(views)} cameras)')
                keypoints = views[camera]
                if len(keypoints) < len(joints):
                    raise ValueError(
                        f'{where_2d} has {len(keypoints)} frames, fewer '
                        f'than the {len(joints)} of {where_3d}')
                keypoints = keypoints[:len(joints)]
                _check_finite(keypoints, where_2d)
                videos.append(
                    dict(
                        subject=subject,
                        action_key=key,
                        action=action,
                        subaction=subaction,
                        camera_index=int(camera),
                        joints_world=joints,
                        keypoints=keypoints))
    removed.log(file_2d, videos, dict(subjects=subjects, actions=actions, cameras=cameras))
    return videos


class _Removed:
    """Videos and frames that each filter (subjects, actions, cameras) left
    out, for one log line."""

    def __init__(self, poses_3d: Dict[str, Dict[str, np.ndarray]]) -> None:
        self.poses_3d = poses_3d
        self.counts = {name: [0, 0, set()] for name in ('subjects', 'actions', 'cameras')}

    def add(self, name: str, subject: str, key: str, cameras: int) -> None:
        """``cameras`` videos of ``subject``'s ``key`` were left out by ``name``."""
        if cameras > 0:
            count = self.counts[name]
            count[0] += cameras
            count[1] += cameras * len(self.poses_3d[subject][key])
            count[2].add(subject if name == 'subjects' else key.split(' ')[0])

    def log(self, source: str, kept: List[dict], filters: dict) -> None:
        """Log what the filters left out (nothing when none did)."""
        parts = [f'{name}={filters[name]} left out {videos} videos ({frames} frames; '
                 f'{", ".join(sorted(what))})'
                 for name, (videos, frames, what) in self.counts.items() if videos]
        if parts:
            frames = sum(len(v['joints_world']) for v in kept)
            print_log(f'{source}: kept {len(kept)} videos ({frames} frames); '
                      + '; '.join(parts), logger='current', level=logging.INFO)


def _split(path: str, subject: str, key: str) -> Tuple[str, int]:
    try:
        return split_action_key(key)
    except ValueError as error:
        raise ValueError(f'{path}: subject {subject!r} action key {key!r}: '
                         f'{error}') from None


def _name(path: str, subject: str, key: str) -> str:
    return _split(path, subject, key)[0]
