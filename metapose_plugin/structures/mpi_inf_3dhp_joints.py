"""MPI-INF-3DHP joint order, flip pairs and the maps to and from Human3.6M.

The 17 "relevant" joints of the dataset's test scripts (SPEC_3DHP section 2),
0-based. The root is the pelvis, index 14 (not 0 as in Human3.6M).
"""
from typing import Dict, Tuple

import numpy as np

#: Joint names in the 3DHP "relevant" order
#: (``mpii_get_joints('relevant')``).
MPI_INF_3DHP_JOINT_NAMES: Tuple[str, ...] = (
    'head_top', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist',
    'left_shoulder', 'left_elbow', 'left_wrist', 'right_hip', 'right_knee',
    'right_ankle', 'left_hip', 'left_knee', 'left_ankle', 'pelvis', 'spine',
    'head')

#: Index of the root (pelvis) in the 3DHP order.
MPI_INF_3DHP_ROOT_INDEX = 14

#: Indices of the 17 relevant joints among the 28 joints of the full
#: annotations (``annot_*`` of the training sequences).
MPI_INF_3DHP_FROM_28: Tuple[int, ...] = (7, 5, 14, 15, 16, 9, 10, 11, 23,
                                         24, 25, 18, 19, 20, 4, 3, 6)

#: ``flip_indices``: the joint each joint becomes under a left/right flip
#: (left 5, 6, 7, 11, 12, 13 <-> right 2, 3, 4, 8, 9, 10).
MPI_INF_3DHP_FLIP_INDICES: Tuple[int, ...] = (0, 1, 5, 6, 7, 2, 3, 4, 11, 12,
                                              13, 8, 9, 10, 14, 15, 16)

#: ``h36m = mpi_inf_3dhp[H36M_FROM_MPI_INF_3DHP]``: a 3DHP pose in the
#: Human3.6M-17 order (H36M thorax = 3DHP neck, H36M neck/nose = 3DHP head,
#: H36M head = 3DHP head_top).
H36M_FROM_MPI_INF_3DHP: Tuple[int, ...] = (14, 8, 9, 10, 11, 12, 13, 15, 1,
                                           16, 0, 5, 6, 7, 2, 3, 4)

#: ``mpi_inf_3dhp = h36m[MPI_INF_3DHP_FROM_H36M]``, the inverse permutation.
MPI_INF_3DHP_FROM_H36M: Tuple[int, ...] = (10, 8, 14, 15, 16, 11, 12, 13, 1,
                                           2, 3, 4, 5, 6, 0, 7, 9)

#: MPM's 16 joints on 3DHP (``load_data_3dhp_mae.py``, SPEC_MPM): head_top
#: is first replaced by the mean of head_top and head, then
#: ``mpm16 = mpi_inf_3dhp[MPM16_FROM_MPI_INF_3DHP]`` (H36M order without the
#: nose; the neck is dropped).
MPM16_FROM_MPI_INF_3DHP: Tuple[int, ...] = (14, 8, 9, 10, 11, 12, 13, 15, 16,
                                            0, 5, 6, 7, 2, 3, 4)

#: Joint orders the 3DHP dataset can emit: the index into the 3DHP order of
#: each output joint, and the output's root index.
JOINT_ORDERS: Dict[str, Tuple[Tuple[int, ...], int]] = {
    'mpi_inf_3dhp': (tuple(range(17)), MPI_INF_3DHP_ROOT_INDEX),
    'h36m': (H36M_FROM_MPI_INF_3DHP, 0),
    'mpm16': (MPM16_FROM_MPI_INF_3DHP, 0),
}

#: Orders that average head_top with head before gathering (not invertible).
_HEAD_AVERAGED = ('mpm16', )


def to_joint_order(poses: np.ndarray, joint_order: str) -> np.ndarray:
    """Reorder 3DHP-order joints (axis -2) into ``joint_order``.

    Args:
        poses (np.ndarray): Joints in the 3DHP order, in shape (..., 17, C).
        joint_order (str): A key of :data:`JOINT_ORDERS`.

    Returns:
        np.ndarray: The joints in the requested order, (..., K, C) (K = 16
        for ``'mpm16'``, else 17).
    """
    if joint_order not in JOINT_ORDERS:
        raise ValueError(f'unknown joint_order {joint_order!r}; expected one '
                         f'of {sorted(JOINT_ORDERS)}')
    if joint_order in _HEAD_AVERAGED:
        poses = np.array(poses, copy=True)
        poses[..., 0, :] = 0.5 * (poses[..., 0, :] + poses[..., 16, :])
    return poses[..., list(JOINT_ORDERS[joint_order][0]), :]


def from_joint_order(poses: np.ndarray, joint_order: str) -> np.ndarray:
    """Inverse of :func:`to_joint_order`: back to the 3DHP order.

    Args:
        poses (np.ndarray): Joints in ``joint_order``, in shape (..., 17, C).
        joint_order (str): A key of :data:`JOINT_ORDERS`.

    Returns:
        np.ndarray: The joints in the 3DHP order, (..., 17, C).
    """
    if joint_order not in JOINT_ORDERS:
        raise ValueError(f'unknown joint_order {joint_order!r}; expected one '
                         f'of {sorted(JOINT_ORDERS)}')
    if joint_order in _HEAD_AVERAGED:
        raise ValueError(f'joint_order {joint_order!r} drops the neck and '
                         'averages head_top with head: it has no inverse')
    inverse = np.argsort(JOINT_ORDERS[joint_order][0])
    return poses[..., inverse, :]


def joint_order_metainfo(joint_order: str = 'mpi_inf_3dhp') -> dict:
    """Pose metainfo in MMPose's format (``parse_pose_metainfo``) for a
    joint order of :data:`JOINT_ORDERS`: the 3DHP names (``'head_top'`` of
    ``mpm16`` is the head_top/head mean), left/right swaps
    (:data:`MPI_INF_3DHP_FLIP_INDICES`), the limbs between joints present,
    unit joint weights."""
    order = list(JOINT_ORDERS[joint_order][0])
    names = [MPI_INF_3DHP_JOINT_NAMES[j] for j in order]
    flip = [order.index(MPI_INF_3DHP_FLIP_INDICES[j]) for j in order]
    lower = {'right_hip', 'right_knee', 'right_ankle', 'left_hip',
             'left_knee', 'left_ankle', 'pelvis'}
    keypoint_info = {
        i: dict(name=name, id=i, color=[51, 153, 255],
                type='lower' if name in lower else 'upper',
                swap=names[flip[i]] if flip[i] != i else '')
        for i, name in enumerate(names)
    }
    links = ((14, 15), (15, 1), (1, 16), (16, 0), (1, 2), (2, 3), (3, 4),
             (1, 5), (5, 6), (6, 7), (14, 8), (8, 9), (9, 10), (14, 11),
             (11, 12), (12, 13))
    if joint_order == 'mpm16':  # no neck: shoulders hang from the head
        links = tuple((16 if a == 1 else a, 16 if b == 1 else b)
                      for a, b in links if (a, b) != (1, 16))
    links = [(order.index(a), order.index(b)) for a, b in links]
    skeleton_info = {
        i: dict(link=(names[a], names[b]), id=i, color=[0, 255, 0])
        for i, (a, b) in enumerate(links)
    }
    return dict(dataset_name=f'mpi_inf_3dhp_{joint_order}',
                keypoint_info=keypoint_info, skeleton_info=skeleton_info,
                joint_weights=[1.0] * len(order), sigmas=[0.025] * len(order))


#: MMPose pose metainfo of the 3DHP order (root 14).
MPI_INF_3DHP_METAINFO: dict = joint_order_metainfo('mpi_inf_3dhp')
