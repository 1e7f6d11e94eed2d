"""Write a track's 3D poses as a BVH file (Biovision Hierarchy) for Blender & co.

The kinematics (skeleton, frames, twist rule, Euler angles) is
:mod:`metapose_plugin.structures.bvh_kinematics`; this module only turns a
:class:`BvhMotion` into BVH text and writes it atomically. Import into
Blender with File > Import > Motion Capture (.bvh), scale 0.01 (centimetres
to metres), forward -Z, up Y (the importer's defaults), see the README.
"""
from typing import Dict, List, Optional

import numpy as np

from metapose_plugin.engine.fileio import write_atomically
from metapose_plugin.structures.bvh_kinematics import (ROTATION_CHANNELS, BvhMotion,
                                                       h36m_to_bvh_motion)


def _numbers(values: np.ndarray) -> str:
    return ' '.join(f'{v:.6f}' for v in np.ravel(values))


def _hierarchy_lines(motion: BvhMotion, index: int, depth: int) -> List[str]:
    """The text of joint ``index`` and its subtree."""
    joint = motion.joints[index]
    pad = '  ' * depth
    channels = (['Xposition', 'Yposition', 'Zposition'] if joint.parent < 0 else []) + list(
        ROTATION_CHANNELS)
    lines = [f'{pad}{"ROOT" if joint.parent < 0 else "JOINT"} {joint.name}', f'{pad}{{',
             f'{pad}  OFFSET {_numbers(motion.offsets[index])}',
             f'{pad}  CHANNELS {len(channels)} {" ".join(channels)}']
    for child, other in enumerate(motion.joints):
        if other.parent == index:
            lines += _hierarchy_lines(motion, child, depth + 1)
    if index in motion.end_sites:
        lines += [f'{pad}  End Site', f'{pad}  {{',
                  f'{pad}    OFFSET {_numbers(motion.end_sites[index])}', f'{pad}  }}']
    return lines + [f'{pad}}}']


def bvh_text(motion: BvhMotion) -> str:
    """The BVH file of ``motion``: hierarchy, then one line per frame (root
    position in cm, then each joint's ``Z X Y`` rotation in degrees, in the
    order the joints appear in the hierarchy)."""
    lines = ['HIERARCHY'] + _hierarchy_lines(motion, 0, 0)
    lines += ['MOTION', f'Frames: {len(motion.rotations)}',
              f'Frame Time: {motion.frame_time:.8f}']
    for root, rotations in zip(motion.root_positions, motion.rotations):
        lines.append(f'{_numbers(root)} {_numbers(rotations)}')
    return '\n'.join(lines) + '\n'


def write_bvh(path: str,
              keypoints_3d: np.ndarray,
              fps: float,
              root_positions: Optional[np.ndarray] = None) -> str:
    """Write one track as a BVH file.

    Args:
        path (str): Output ``.bvh`` file (its folder is created).
        keypoints_3d (np.ndarray): (T, 17, 3) H36M joints per frame, camera
            frame, metres; frames where the person is missing are NaN (they
            are interpolated).
        fps (float): Frames per second of the video (BVH frame time 1/fps).
        root_positions (np.ndarray, optional): (T, 3) the lifter's root
            trajectory, camera frame, metres. Defaults to None (root at the
            origin).

    Returns:
        str: ``path``.
    """
    motion = h36m_to_bvh_motion(keypoints_3d, fps, root_positions)
    write_atomically(bvh_text(motion).encode(), path)
    return path


def track_keypoints(frames: List[List[dict]]) -> Dict[int, np.ndarray]:
    """Per-track 3D over a video from the inferencer's per-frame people.

    Args:
        frames (list[list[dict]]): Per frame, the people as the inferencer's
            JSON gives them (``track_id``, ``keypoints_3d`` 17 x [x, y, z]
            camera frame metres).

    Returns:
        dict[int, np.ndarray]: Track id -> (T, 17, 3) over all T frames,
        NaN where the track is absent.
    """
    tracks: Dict[int, np.ndarray] = {}
    for t, people in enumerate(frames):
        for person in people:
            track = tracks.setdefault(int(person['track_id']),
                                      np.full((len(frames), 17, 3), np.nan))
            track[t] = np.asarray(person['keypoints_3d'], dtype=np.float64)
    return tracks
