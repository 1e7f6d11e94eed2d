"""BVH files read back by an independent reader (bvhio, from PyPI): forward
kinematics against the 3D input, lengths, channels, frame time, continuity."""
from typing import Dict, Optional

import bvhio
import numpy as np
import pytest

from metapose_plugin.apis.bvh_export import track_keypoints, write_bvh
from metapose_plugin.datasets.samples.h36m_sequence_sample import synthetic_pose_sequence
from metapose_plugin.structures.bvh_kinematics import (BVH_JOINTS, CAMERA_TO_BVH,
                                                       fill_missing_frames, median_bone_lengths)
from metapose_plugin.structures.h36m_cameras import h36m_camera_param, world_to_camera

#: Largest angle (degrees) between a bone of the file and of the input.
MAX_ANGLE = 0.5


def read_positions(path: str) -> Dict[str, np.ndarray]:
    """World positions (T, 3), centimetres, of every joint, by bvhio's
    forward kinematics."""
    root = bvhio.readAsHierarchy(path)
    joints = {joint.Name: joint for joint, _, _ in root.layout()}
    frames = bvhio.readAsBvh(path).FrameCount
    positions = {name: np.zeros((frames, 3)) for name in joints}
    for frame in range(frames):
        root.loadPose(frame)
        for name, joint in joints.items():
            positions[name][frame] = joint.PositionWorld
    return positions


def motion_values(path: str) -> np.ndarray:
    """The MOTION numbers (T, channels) as written."""
    with open(path) as f:
        lines = f.read().split('MOTION\n')[1].splitlines()[2:]
    return np.array([[float(v) for v in line.split()] for line in lines])


def check_against_input(path: str, keypoints: np.ndarray,
                        root: Optional[np.ndarray] = None) -> int:
    """Bone directions within MAX_ANGLE on every frame where the input bone
    has a length, median lengths, root; returns how many bones had one."""
    positions = read_positions(path)
    points = fill_missing_frames(keypoints) @ CAMERA_TO_BVH.T * 100
    lengths = median_bone_lengths(points)
    checked = 0
    for j, joint in enumerate(BVH_JOINTS):
        if joint.tip is None:
            continue
        child = next(c for c in BVH_JOINTS if c.parent == j and c.h36m == joint.tip)
        written = positions[child.name] - positions[joint.name]
        bone = points[:, joint.tip] - points[:, joint.h36m]
        norm = np.linalg.norm(bone, axis=-1)
        ok = norm > 1e-6
        checked += bool(ok.any())
        cos = np.sum(written[ok] * bone[ok], -1) / norm[ok] / np.linalg.norm(written[ok], axis=-1)
        assert np.degrees(np.arccos(np.clip(cos, -1, 1))).max(initial=0) < MAX_ANGLE, joint.name
        np.testing.assert_allclose(np.linalg.norm(written, axis=-1), lengths[j], rtol=1e-4,
                                   atol=1e-3, err_msg=joint.name)
    expected_root = np.zeros((len(points), 3)) if root is None else \
        fill_missing_frames(root[:, None])[:, 0] @ CAMERA_TO_BVH.T * 100
    np.testing.assert_allclose(positions['Hips'], expected_root, atol=1e-3)
    angles = motion_values(path)[:, 3:]
    assert np.isfinite(angles).all()
    assert np.abs(np.diff(angles, axis=0)).max() <= 180.0
    return checked


def test_walking_sequence_round_trips(tmp_path):
    world = synthetic_pose_sequence(100, 'Walking', np.random.default_rng(0))
    camera = world_to_camera(world, h36m_camera_param('S9', 1))
    path = write_bvh(str(tmp_path / 'out' / 'walk.bvh'), camera - camera[:, :1], 50.0,
                     root_positions=camera[:, 0])
    assert check_against_input(path, camera, root=camera[:, 0]) == 16
    bvh = bvhio.readAsBvh(path)
    assert bvh.FrameCount == 100 and bvh.FrameTime == pytest.approx(0.02)
    layout = [joint for joint, _, _ in bvh.Root.layout()]
    assert [j.Name for j in layout] == [j.name for j in BVH_JOINTS]
    assert layout[0].Channels == ['Xposition', 'Yposition', 'Zposition', 'Zrotation',
                                  'Xrotation', 'Yrotation']
    assert all(j.Channels == ['Zrotation', 'Xrotation', 'Yrotation'] for j in layout[1:])
    # y up in centimetres: the head is about 0.5-0.7 m above the pelvis
    positions = read_positions(path)
    assert 50 < (positions['Head'] - positions['Hips'])[:, 1].mean() < 75


def test_degenerate_sequence_round_trips(tmp_path):
    world = synthetic_pose_sequence(50, 'Sitting', np.random.default_rng(5))
    camera = world_to_camera(world, h36m_camera_param('S11', 2))
    camera = camera - camera[:, :1]
    camera[:10, 13] = camera[:10, 12] + (camera[:10, 12] - camera[:10, 11])  # straight arm
    camera[10:20, 16] = camera[10:20, 14]  # right forearm folded onto the upper arm
    camera[20:25, 3] = camera[20:25, 2]  # zero-length shin
    camera[30:33] = np.nan  # missing frames
    path = write_bvh(str(tmp_path / 'degenerate.bvh'), camera, 25.0)
    assert check_against_input(path, camera) == 16


def test_track_keypoints_from_frames():
    pose = np.arange(51, dtype=float).reshape(17, 3)
    frames = [[dict(track_id=1, keypoints_3d=pose.tolist())], [],
              [dict(track_id=1, keypoints_3d=(pose + 1).tolist()),
               dict(track_id=4, keypoints_3d=(pose * 2).tolist())]]
    tracks = track_keypoints(frames)
    assert sorted(tracks) == [1, 4]
    np.testing.assert_array_equal(tracks[1][0], pose)
    assert np.isnan(tracks[1][1]).all()
    np.testing.assert_array_equal(tracks[1][2], pose + 1)
    assert np.isnan(tracks[4][:2]).all()
    np.testing.assert_array_equal(tracks[4][2], pose * 2)
