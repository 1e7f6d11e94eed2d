"""The BVH kinematics: frames, missing data, Euler angles, twist, degenerate poses."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from metapose_plugin.datasets.samples.h36m_sequence_sample import synthetic_pose_sequence
from metapose_plugin.structures.bvh_kinematics import (BVH_JOINTS, CAMERA_TO_BVH, euler_zxy,
                                                       fill_missing_frames, global_rotations,
                                                       h36m_to_bvh_motion, local_rotations,
                                                       median_bone_lengths)
from metapose_plugin.structures.h36m_cameras import h36m_camera_param, world_to_camera

NAMES = [joint.name for joint in BVH_JOINTS]


def walking_camera_frame(frames: int = 80, seed: int = 0) -> np.ndarray:
    """The sample generator's walk seen by H36M camera 1 of S9, (T, 17, 3) m."""
    world = synthetic_pose_sequence(frames, 'Walking', np.random.default_rng(seed))
    return world_to_camera(world, h36m_camera_param('S9', 1))


def test_fill_missing_frames_interpolates_and_holds():
    track = np.arange(6 * 17 * 3, dtype=float).reshape(6, 17, 3)
    holes = track.copy()
    holes[0] = np.nan
    holes[2, 5, 1] = np.nan  # one joint missing: the whole frame is
    holes[3] = np.inf
    filled = fill_missing_frames(holes)
    np.testing.assert_allclose(filled[0], track[1])  # held at the start
    np.testing.assert_allclose(filled[2], track[1] + (track[4] - track[1]) / 3)
    np.testing.assert_allclose(filled[3], track[1] + 2 * (track[4] - track[1]) / 3)
    np.testing.assert_allclose(filled[[1, 4, 5]], track[[1, 4, 5]])
    with pytest.raises(ValueError, match='no frame with all 17 joints'):
        fill_missing_frames(np.full((3, 17, 3), np.nan))


def test_euler_angles_rebuild_the_rotation_and_stay_continuous():
    rng = np.random.default_rng(1)
    rotations = Rotation.random(50, random_state=2).as_matrix()[:, None]
    angles = euler_zxy(rotations)
    # an independent composition: intrinsic Z, then X, then Y
    rebuilt = Rotation.from_euler('ZXY', angles[:, 0], degrees=True).as_matrix()
    np.testing.assert_allclose(rebuilt, rotations[:, 0], atol=1e-9)
    # three turns about the vertical: unwrapped, monotonic, no step over 180 degrees
    yaw = np.linspace(0, 3 * 360, 200) + rng.normal(0, 1, 200)
    spin = Rotation.from_euler('ZXY', np.stack([np.zeros(200), np.full(200, 20.0), yaw], 1),
                               degrees=True).as_matrix()[:, None]
    angles = euler_zxy(spin)
    assert np.abs(np.diff(angles, axis=0)).max() < 15
    assert angles[-1, 0, 2] - angles[0, 0, 2] == pytest.approx(3 * 360, abs=5)
    np.testing.assert_allclose(
        Rotation.from_euler('ZXY', angles[:, 0], degrees=True).as_matrix(), spin[:, 0],
        atol=1e-9)


def test_gimbal_lock_gives_finite_angles():
    locked = Rotation.from_euler('ZXY', [[30, 90, 0], [10, -90, 0]], degrees=True).as_matrix()
    angles = euler_zxy(locked[:, None])
    assert np.isfinite(angles).all()
    np.testing.assert_allclose(
        Rotation.from_euler('ZXY', angles[:, 0], degrees=True).as_matrix(), locked, atol=1e-6)


def _bone_error_degrees(keypoints: np.ndarray) -> float:
    """Largest angle between the rotated rest bones and the frames' bones."""
    points = fill_missing_frames(keypoints) @ CAMERA_TO_BVH.T
    rotations = global_rotations(points)
    worst = 0.0
    for j, joint in enumerate(BVH_JOINTS):
        if joint.tip is None:
            continue
        bone = points[:, joint.tip] - points[:, joint.h36m]
        length = np.linalg.norm(bone, axis=-1)
        mapped = rotations[:, j] @ np.array(joint.rest)
        ok = length > 1e-6
        if not ok.any():
            continue
        cos = np.sum(mapped[ok] * bone[ok], -1) / length[ok]
        worst = max(worst, np.degrees(np.arccos(np.clip(cos, -1, 1))).max())
    return worst


def test_rotations_reproduce_bone_directions_and_are_proper():
    keypoints = walking_camera_frame()
    assert _bone_error_degrees(keypoints) < 1e-5  # arccos resolution near 0: ~1e-6
    rotations = global_rotations(keypoints @ CAMERA_TO_BVH.T)
    np.testing.assert_allclose(np.linalg.det(rotations), 1.0, atol=1e-9)
    np.testing.assert_allclose(rotations @ np.swapaxes(rotations, -1, -2),
                               np.broadcast_to(np.eye(3), rotations.shape), atol=1e-9)


def test_camera_to_bvh_keeps_left_left_and_y_up():
    assert np.linalg.det(CAMERA_TO_BVH) == pytest.approx(1.0)
    # a person facing the camera: its left hand is at +x in the camera frame,
    # its head at -y (image up)
    keypoints = walking_camera_frame(1)[0]
    facing = keypoints - keypoints[0]
    points = facing @ CAMERA_TO_BVH.T
    assert points[10, 1] > 0.5  # head above the pelvis: +Y
    left_hand, right_hand = points[13], points[16]
    assert np.sign(left_hand[0] - right_hand[0]) == np.sign(facing[13, 0] - facing[16, 0])


def test_twist_follows_the_hips_and_shoulders_axes():
    """The Hips (Spine1) frame's x axis is the hips' (shoulders') left-right
    axis made orthogonal to the bone; turning the whole body about the
    vertical turns the Hips and changes no other local rotation."""
    keypoints = walking_camera_frame(5) @ CAMERA_TO_BVH.T
    keypoints = keypoints - keypoints[:, :1]
    rotations = global_rotations(keypoints)
    for name, (left, right), (start, end) in (('Hips', (4, 1), (0, 7)),
                                              ('Spine1', (11, 14), (8, 9))):
        bone = keypoints[:, end] - keypoints[:, start]
        bone /= np.linalg.norm(bone, axis=-1, keepdims=True)
        axis = keypoints[:, left] - keypoints[:, right]
        axis -= np.sum(axis * bone, -1, keepdims=True) * bone
        axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
        np.testing.assert_allclose(rotations[:, NAMES.index(name)] @ [1, 0, 0], axis, atol=1e-9)
    turn = Rotation.from_euler('y', 90, degrees=True).as_matrix()
    base = local_rotations(rotations)
    turned = local_rotations(global_rotations(keypoints @ turn.T))
    np.testing.assert_allclose(turned[:, 0], turn @ base[:, 0], atol=1e-9)
    np.testing.assert_allclose(turned[:, 1:], base[:, 1:], atol=1e-9)


def test_straight_limb_has_identity_local_rotation():
    keypoints = walking_camera_frame(4)
    upper_arm = keypoints[:, 12] - keypoints[:, 11]
    keypoints[:, 13] = keypoints[:, 12] + 0.8 * upper_arm  # left forearm straight
    local = local_rotations(global_rotations(keypoints @ CAMERA_TO_BVH.T))
    np.testing.assert_allclose(local[:, NAMES.index('LeftForeArm')],
                               np.broadcast_to(np.eye(3), (4, 3, 3)), atol=1e-9)


def test_degenerate_frames_give_finite_continuous_motion():
    keypoints = walking_camera_frame(60, seed=3)
    keypoints = keypoints - keypoints[:, :1]
    forearm = keypoints[20:30, 15] - keypoints[20:30, 14]
    keypoints[20:30, 16] = keypoints[20:30, 15] - forearm  # right forearm folded back
    keypoints[30:35, 6] = keypoints[30:35, 5]  # zero-length left shin
    keypoints[:, 10] = keypoints[:, 9]  # zero-length head bone in every frame
    keypoints[40:43] = np.nan  # person missing
    motion = h36m_to_bvh_motion(keypoints, fps=25.0)
    assert np.isfinite(motion.rotations).all() and np.isfinite(motion.offsets).all()
    assert np.abs(np.diff(motion.rotations, axis=0)).max() <= 180.0
    assert _bone_error_degrees(keypoints) < 1e-5  # arccos resolution near 0: ~1e-6
    # the zero-length shin keeps the direction of the frame before
    rotations = global_rotations(fill_missing_frames(keypoints) @ CAMERA_TO_BVH.T)
    leg = NAMES.index('LeftLeg')
    np.testing.assert_allclose(rotations[30:35, leg] @ [0, -1, 0],
                               np.repeat(rotations[29:30, leg] @ [0, -1, 0], 5, 0), atol=1e-12)


def test_motion_offsets_are_median_lengths_in_centimetres():
    keypoints = walking_camera_frame(30)
    rng = np.random.default_rng(4)
    keypoints = keypoints + rng.normal(0, 0.01, keypoints.shape)  # lengths vary per frame
    motion = h36m_to_bvh_motion(keypoints, fps=50.0, root_positions=keypoints[:, 0])
    lengths = median_bone_lengths(keypoints)
    for j, joint in enumerate(BVH_JOINTS):
        if j and joint.h36m != BVH_JOINTS[joint.parent].h36m:
            assert np.linalg.norm(motion.offsets[j]) == pytest.approx(
                100 * lengths[joint.parent], rel=1e-12)
    np.testing.assert_allclose(motion.root_positions, 100 * keypoints[:, 0] @ CAMERA_TO_BVH.T)
    assert motion.frame_time == pytest.approx(0.02)
    assert not h36m_to_bvh_motion(keypoints, fps=50.0).root_positions.any()
    with pytest.raises(ValueError, match=r'\(T, 17, 3\)'):
        h36m_to_bvh_motion(keypoints[:, :16], fps=50.0)
    with pytest.raises(ValueError, match='fps'):
        h36m_to_bvh_motion(keypoints, fps=0)
