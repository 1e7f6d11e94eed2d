"""Human3.6M 3D poses -> a BVH skeleton's offsets and per-frame joint rotations.

Pure NumPy kinematics behind the BVH export (the file text is written by
:mod:`metapose_plugin.apis.bvh_export`). Letters: T frames, K = 17 H36M
joints, J = 21 BVH joints.

Skeleton (:data:`BVH_JOINTS`): the 17 H36M joints under the names animators
use (CMU motion-capture naming: ``Hips``, ``RHipJoint``, ``RightUpLeg``,
``RightLeg``, ``RightFoot``, ..., ``Spine``, ``Spine1``, ``Neck``, ``Head``,
``LeftShoulder``, ``LeftArm``, ``LeftForeArm``, ``LeftHand``, ...). Four
joints have a zero offset: ``RHipJoint``/``LHipJoint`` at the pelvis and
``LeftShoulder``/``RightShoulder`` (clavicles) at the thorax, so that every
bone of the H36M skeleton has a joint of its own that orients it; without
them one rotation of the pelvis (thorax) would have to point three bones of
varying relative angles at once, which no rotation can do exactly.

Frames and units: the camera frame (x right, y down, z forward, metres) maps
to the BVH frame (X the character's left when it faces the camera, Y up, Z
towards the camera) by :data:`CAMERA_TO_BVH` = diag(1, -1, -1), a proper
rotation (180 degrees about x; no mirroring: a left arm stays a left arm);
BVH lengths are centimetres. The rest pose is a T-pose facing +Z: legs along
-Y, spine, neck and head along +Y, clavicles and arms along +X (left) / -X
(right); bone lengths are the track's median lengths.

Rotations: global rotation G of a joint maps its rest bone direction to the
frame's bone direction, so forward kinematics reproduces every bone direction
exactly (with the median lengths). Twist (the rotation about the bone, which
bone directions leave free) follows one rule:

* ``Hips``: the frame whose y axis is the pelvis -> spine bone and whose x
  axis is the hips' left-right axis (left hip - right hip) made orthogonal
  to it; ``Spine1`` (thorax): the same with the thorax -> neck bone and the
  shoulders' left-right axis (left shoulder - right shoulder);
* every other joint: the shortest-arc rotation from the bone direction its
  parent carries to the frame's bone direction, applied after the parent's
  rotation (minimal twist: a limb keeps the twist of its parent chain; a
  straight limb has the identity local rotation);
* end joints (feet, head, hands) have no bone to orient: identity local
  rotation, their end sites follow the parent bone.

Degenerate input never gives NaN: frames with a missing joint (non-finite
value) are linearly interpolated in time (held at the ends); a zero-length
bone keeps the direction of the nearest frame where it has one (the carried
direction if it never has); an axis parallel to its bone keeps the previous
frame's twist; a bone pointing exactly against its carried direction turns
180 degrees about the parent's forward axis.

Euler angles: ``Zrotation Xrotation Yrotation`` channels, local rotation
``R = Rz(z) Rx(x) Ry(y)`` (column vectors), degrees. Of the two angle triples
of each rotation the one nearer the previous frame is kept and every channel
is unwrapped, so no angle jumps by more than 180 degrees between frames.
"""
from typing import NamedTuple, Optional, Tuple

import numpy as np

#: Camera frame -> BVH frame (proper rotation, 180 degrees about x).
CAMERA_TO_BVH = np.diag([1.0, -1.0, -1.0])
#: Metres -> BVH centimetres.
METRES_TO_BVH = 100.0
#: Euler channel order of every joint (``R = Rz Rx Ry``).
ROTATION_CHANNELS = ('Zrotation', 'Xrotation', 'Yrotation')

_LEFT, _RIGHT, _UP, _DOWN, _FORWARD = ((1., 0., 0.), (-1., 0., 0.), (0., 1., 0.), (0., -1., 0.),
                                       (0., 0., 1.))
_EPS = 1e-9
#: End-site length as a fraction of the bone that ends at the end joint.
END_SITE_FRACTION = 0.25


class BvhJoint(NamedTuple):
    """One joint of the BVH skeleton.

    Attributes:
        name (str): BVH joint name.
        parent (int): Index of the parent in :data:`BVH_JOINTS` (-1: root).
        h36m (int): The H36M joint at the joint's position.
        tip (int | None): The H36M joint its bone points to (None: an end
            joint).
        rest (tuple): Rest direction of that bone (or of the end site), BVH
            frame, unit.
        twist (str | None): ``'hips'`` / ``'shoulders'``: frame from that
            left-right axis; None: shortest arc from the parent.
    """
    name: str
    parent: int
    h36m: int
    tip: Optional[int]
    rest: Tuple[float, float, float]
    twist: Optional[str] = None


#: The skeleton, parents before children (the order of the BVH file).
BVH_JOINTS: Tuple[BvhJoint, ...] = (
    BvhJoint('Hips', -1, 0, 7, _UP, 'hips'),
    BvhJoint('RHipJoint', 0, 0, 1, _RIGHT),
    BvhJoint('RightUpLeg', 1, 1, 2, _DOWN),
    BvhJoint('RightLeg', 2, 2, 3, _DOWN),
    BvhJoint('RightFoot', 3, 3, None, _FORWARD),
    BvhJoint('LHipJoint', 0, 0, 4, _LEFT),
    BvhJoint('LeftUpLeg', 5, 4, 5, _DOWN),
    BvhJoint('LeftLeg', 6, 5, 6, _DOWN),
    BvhJoint('LeftFoot', 7, 6, None, _FORWARD),
    BvhJoint('Spine', 0, 7, 8, _UP),
    BvhJoint('Spine1', 9, 8, 9, _UP, 'shoulders'),
    BvhJoint('Neck', 10, 9, 10, _UP),
    BvhJoint('Head', 11, 10, None, _UP),
    BvhJoint('LeftShoulder', 10, 8, 11, _LEFT),
    BvhJoint('LeftArm', 13, 11, 12, _LEFT),
    BvhJoint('LeftForeArm', 14, 12, 13, _LEFT),
    BvhJoint('LeftHand', 15, 13, None, _LEFT),
    BvhJoint('RightShoulder', 10, 8, 14, _RIGHT),
    BvhJoint('RightArm', 17, 14, 15, _RIGHT),
    BvhJoint('RightForeArm', 18, 15, 16, _RIGHT),
    BvhJoint('RightHand', 19, 16, None, _RIGHT),
)
#: H36M joints (left, right) whose difference is each twist axis.
TWIST_AXES = dict(hips=(4, 1), shoulders=(11, 14))


class BvhMotion(NamedTuple):
    """A BVH skeleton with its motion, in BVH units.

    Attributes:
        joints (tuple[BvhJoint]): :data:`BVH_JOINTS`.
        offsets (np.ndarray): (J, 3) offset of each joint from its parent,
            centimetres, BVH frame (the root's is zero).
        end_sites (dict[int, np.ndarray]): End joint index -> (3,) end-site
            offset, centimetres.
        root_positions (np.ndarray): (T, 3) ``Hips`` position per frame,
            centimetres, BVH frame.
        rotations (np.ndarray): (T, J, 3) local Euler angles per frame in
            :data:`ROTATION_CHANNELS` order, degrees.
        frame_time (float): Seconds per frame.
    """
    joints: Tuple[BvhJoint, ...]
    offsets: np.ndarray
    end_sites: dict
    root_positions: np.ndarray
    rotations: np.ndarray
    frame_time: float


def fill_missing_frames(keypoints: np.ndarray) -> np.ndarray:
    """Linearly interpolate frames that have a non-finite joint.

    Args:
        keypoints (np.ndarray): (T, K, 3); a frame with any NaN/inf value
            is missing.

    Returns:
        np.ndarray: (T, K, 3) float64, missing frames interpolated between
        the nearest complete frames (held at both ends).
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    valid = np.isfinite(keypoints).all(axis=(1, 2))
    if not valid.any():
        raise ValueError('BVH export: the track has no frame with all 17 joints finite')
    frames = np.arange(len(keypoints))
    flat = keypoints[valid].reshape(int(valid.sum()), -1)
    filled = np.stack([np.interp(frames, frames[valid], flat[:, i]) for i in
                       range(flat.shape[1])], axis=1)
    return filled.reshape(keypoints.shape)


def median_bone_lengths(keypoints: np.ndarray) -> np.ndarray:
    """Median length of each bone of :data:`BVH_JOINTS` over the frames.

    Args:
        keypoints (np.ndarray): (T, K, 3) complete frames (any unit).

    Returns:
        np.ndarray: (J,) length of the bone of each joint (0 for end joints),
        unit of the input.
    """
    lengths = np.zeros(len(BVH_JOINTS))
    for j, joint in enumerate(BVH_JOINTS):
        if joint.tip is not None:
            lengths[j] = np.median(
                np.linalg.norm(keypoints[:, joint.tip] - keypoints[:, joint.h36m], axis=-1))
    return lengths


def _unit(vectors: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Unit vectors (..., 3) and a mask of those long enough to normalise."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    ok = norms[..., 0] > 1e-8
    return np.where(ok[..., None], vectors / np.where(ok, norms[..., 0], 1.0)[..., None], 0.), ok


def _hold_nearest(vectors: np.ndarray, ok: np.ndarray) -> Tuple[np.ndarray, bool]:
    """(T, 3) vectors with the rows where ``ok`` is False replaced by the
    nearest earlier valid row (the first valid one before it); False if no
    row is valid."""
    if not ok.any():
        return vectors, False
    index = np.where(ok, np.arange(len(ok)), -1)
    index = np.maximum.accumulate(index)
    index[index < 0] = int(np.argmax(ok))
    return vectors[index], True


def bone_directions(points: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Unit direction of each joint's bone per frame.

    Args:
        points (np.ndarray): (T, K, 3) complete frames, BVH frame.

    Returns:
        tuple: ``(directions (T, J, 3), known (J,))``: zero-length bones take
        the nearest frame's direction; ``known[j]`` is False where a bone
        has no length in any frame (or is an end joint).
    """
    directions = np.zeros((len(points), len(BVH_JOINTS), 3))
    known = np.zeros(len(BVH_JOINTS), dtype=bool)
    for j, joint in enumerate(BVH_JOINTS):
        if joint.tip is None:
            continue
        unit, ok = _unit(points[:, joint.tip] - points[:, joint.h36m])
        directions[:, j], known[j] = _hold_nearest(unit, ok)
    return directions, known


def shortest_arc(a: np.ndarray, b: np.ndarray, fallback_axis: np.ndarray) -> np.ndarray:
    """Rotation matrices turning unit vectors ``a`` into ``b`` by the smallest angle.

    Args:
        a (np.ndarray): (T, 3) unit vectors.
        b (np.ndarray): (T, 3) unit vectors.
        fallback_axis (np.ndarray): (T, 3) unit axes orthogonal to ``a``, used
            where ``b`` = -``a`` (180 degrees, axis otherwise undefined).

    Returns:
        np.ndarray: (T, 3, 3).
    """
    cross = np.cross(a, b)
    cos = np.sum(a * b, axis=-1)
    skew = np.zeros(cross.shape[:-1] + (3, 3))
    skew[..., 0, 1], skew[..., 0, 2] = -cross[..., 2], cross[..., 1]
    skew[..., 1, 2] = -cross[..., 0]
    skew = skew - np.swapaxes(skew, -1, -2)
    opposite = cos < -1 + 1e-12
    scale = 1.0 / np.where(opposite, 1.0, 1.0 + cos)
    rotation = np.eye(3) + skew + skew @ skew * scale[..., None, None]
    half_turn = 2 * fallback_axis[..., :, None] * fallback_axis[..., None, :] - np.eye(3)
    return np.where(opposite[..., None, None], half_turn, rotation)


def _twist_frames(bone: np.ndarray, axis: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Frames [x, y, z] (T, 3, 3) with y = ``bone`` and x = ``axis`` made
    orthogonal to it; where ``axis`` is parallel to the bone, the previous
    frame's x (``fallback`` (3,) for the first frame) made orthogonal."""
    frames = np.zeros(bone.shape[:-1] + (3, 3))
    previous = fallback
    for t in range(len(bone)):
        y = bone[t]
        for candidate in (axis[t], previous, fallback, np.array(_FORWARD), np.array(_LEFT)):
            x = candidate - np.dot(candidate, y) * y
            norm = np.linalg.norm(x)
            if norm > 1e-6:
                break
        x = x / norm
        frames[t] = np.stack([x, y, np.cross(x, y)], axis=1)
        previous = x
    return frames


def global_rotations(points: np.ndarray) -> np.ndarray:
    """Global rotation of every BVH joint per frame (see the module docstring).

    Args:
        points (np.ndarray): (T, K, 3) complete frames, BVH frame.

    Returns:
        np.ndarray: (T, J, 3, 3); joint j's bone direction of frame t is
        ``G[t, j] @ rest_j``.
    """
    directions, known = bone_directions(points)
    rotations = np.zeros((len(points), len(BVH_JOINTS), 3, 3))
    for j, joint in enumerate(BVH_JOINTS):
        parent = rotations[:, joint.parent] if joint.parent >= 0 else np.broadcast_to(
            np.eye(3), (len(points), 3, 3))
        if joint.tip is None or not known[j]:
            rotations[:, j] = parent
        elif joint.twist is not None:
            left, right = TWIST_AXES[joint.twist]
            axis, _ = _unit(points[:, left] - points[:, right])
            # rest: bone +Y, twist axis +X, so the global rotation is the frame itself
            rotations[:, j] = _twist_frames(directions[:, j], axis, parent[0] @ np.array(_LEFT))
        else:
            carried = parent @ np.array(joint.rest)
            forward = parent @ np.array(_FORWARD)
            rotations[:, j] = shortest_arc(carried, directions[:, j], forward) @ parent
    return rotations


def euler_zxy(rotations: np.ndarray) -> np.ndarray:
    """Continuous ``Z X Y`` Euler angles of local rotations.

    Args:
        rotations (np.ndarray): (T, J, 3, 3), ``R = Rz(z) Rx(x) Ry(y)``.

    Returns:
        np.ndarray: (T, J, 3) ``(z, x, y)`` degrees; per frame the triple
        (of the two that give R) nearest the previous frame, each channel
        unwrapped (steps within 180 degrees).
    """
    r = rotations
    sin_x = np.clip(r[..., 2, 1], -1.0, 1.0)
    x = np.arcsin(sin_x)
    locked = np.abs(sin_x) > 1 - 1e-9
    z = np.arctan2(-r[..., 0, 1], r[..., 1, 1])
    y = np.arctan2(-r[..., 2, 0], r[..., 2, 2])
    # gimbal lock: y = 0, z from the remaining block (z + sin(x) y = atan2(R10, R00))
    z = np.where(locked, np.arctan2(r[..., 1, 0], r[..., 0, 0]), z)
    y = np.where(locked, 0.0, y)
    first = np.degrees(np.stack([z, x, y], axis=-1))
    second = first + np.array([180.0, 0.0, 180.0])
    second[..., 1] = 180.0 - first[..., 1]
    second = np.where(locked[..., None], first, second)
    angles = np.empty_like(first)
    angles[0] = first[0]
    for t in range(1, len(first)):
        options = []
        for candidate in (first[t], second[t]):
            candidate = candidate - 360.0 * np.round((candidate - angles[t - 1]) / 360.0)
            options.append(candidate)
        cost = [np.abs(o - angles[t - 1]).sum(axis=-1) for o in options]
        angles[t] = np.where((cost[1] < cost[0])[:, None], options[1], options[0])
    return angles


def local_rotations(global_rots: np.ndarray) -> np.ndarray:
    """(T, J, 3, 3) global rotations -> rotations relative to the parent."""
    local = global_rots.copy()
    for j, joint in enumerate(BVH_JOINTS):
        if joint.parent >= 0:
            local[:, j] = np.swapaxes(global_rots[:, joint.parent], -1, -2) @ global_rots[:, j]
    return local


def h36m_to_bvh_motion(keypoints_3d: np.ndarray,
                       fps: float,
                       root_positions: Optional[np.ndarray] = None) -> BvhMotion:
    """A track's H36M 3D poses -> :class:`BvhMotion`.

    Args:
        keypoints_3d (np.ndarray): (T, 17, 3) H36M joints, camera frame,
            metres (root-relative or absolute: only bone vectors are used);
            non-finite frames are interpolated.
        fps (float): Frames per second of the video.
        root_positions (np.ndarray, optional): (T, 3) the lifter's root
            (pelvis) trajectory, camera frame, metres; non-finite frames
            are interpolated. Defaults to None (the root stays at the BVH
            origin).

    Returns:
        BvhMotion: Offsets from the median bone lengths, per-frame rotations
        and root positions in centimetres and degrees, BVH frame.
    """
    keypoints_3d = np.asarray(keypoints_3d, dtype=np.float64)
    if keypoints_3d.ndim != 3 or keypoints_3d.shape[1:] != (17, 3):
        raise ValueError(f'BVH export: keypoints_3d must be (T, 17, 3) H36M joints, got shape '
                         f'{keypoints_3d.shape}')
    if not fps > 0:
        raise ValueError(f'BVH export: fps must be positive, got {fps}')
    points = fill_missing_frames(keypoints_3d) @ CAMERA_TO_BVH.T * METRES_TO_BVH
    lengths = median_bone_lengths(points)
    offsets = np.zeros((len(BVH_JOINTS), 3))
    end_sites = {}
    for j, joint in enumerate(BVH_JOINTS):
        if j and joint.h36m != BVH_JOINTS[joint.parent].h36m:
            parent = BVH_JOINTS[joint.parent]
            offsets[j] = np.array(parent.rest) * lengths[joint.parent]
        if joint.tip is None:
            end_sites[j] = np.array(joint.rest) * END_SITE_FRACTION * lengths[joint.parent]
    if root_positions is None:
        root = np.zeros((len(points), 3))
    else:
        root_positions = np.asarray(root_positions, dtype=np.float64)
        if root_positions.shape != (len(points), 3):
            raise ValueError(f'BVH export: root_positions must be ({len(points)}, 3), got '
                             f'{root_positions.shape}')
        root = fill_missing_frames(root_positions[:, None])[:, 0] @ CAMERA_TO_BVH.T * \
            METRES_TO_BVH
    rotations = euler_zxy(local_rotations(global_rotations(points)))
    return BvhMotion(BVH_JOINTS, offsets, end_sites, root, rotations, 1.0 / fps)
