"""Frames of :class:`H36MMultiViewDataset` from the reference's records.

Turns one record of Google MetaPose's ``pre`` or ``opt`` split (read by
:mod:`.multiview_record_layout`) into the dataset's frame dict, for a camera
subset. ``pre`` records hold pixels; ``opt`` records (the reference's
stage-1 output, run on one camera subset) hold their 2D fields and mixtures
in bbox units and carry the stage-1 reports, which become stage 2's
``x_init`` (report 0) and ``x_best`` (last report).

Note:
    V views, K joints, M components, R reports.
"""
import re
from typing import Dict, Sequence

import numpy as np
import torch

from metapose_plugin.structures.multiview.dlt_triangulation import projection_matrix
from metapose_plugin.structures.multiview.multiview_geometry import (bbox_origin_size,
                                                                     mixtures_to_bbox_units,
                                                                     points_to_bbox_units)
from metapose_plugin.structures.multiview.multiview_inputs import check_views
from metapose_plugin.structures.multiview.multiview_packing import pack_solution

#: ``keys`` entries: ``'s%07d_f%07d_c%02d' % (sequence, frame, camera)``.
KEY_PATTERN = re.compile(r's(\d+)_f(\d+)_c(\d+)')
PRE_FIELDS = ('pose3d', 'cam_pose3d', 'cam_rot', 'cam_intr', 'cam_kd', 'pose2d_repr',
              'heatmaps', 'pose2d_pred', 'keys', 'bboxes', 'pose3d_epi_pred')
REPORT_FIELDS = ('pose3d_opt_preds', 'cam_rot_opt_preds', 'scale_opt_preds', 'shift_opt_preds')
#: A human bone is 0.1-0.5 m: a median bone above this is in millimetres.
_MM_THRESHOLD = 5.0


def is_opt_record(record: Dict[str, np.ndarray]) -> bool:
    """Whether a record is the reference's stage-1 output (``opt`` split)."""
    return all(name in record for name in REPORT_FIELDS + ('cam_subset', ))


def frame_from_record(record: Dict[str, np.ndarray], camera_subset: Sequence[int],
                      where: str) -> dict:
    """The dataset's frame dict (without stage 1) of one record.

    Args:
        record (dict): A ``pre`` or ``opt`` record.
        camera_subset (Sequence[int]): Views in order (view 0 canonical).
            For an ``opt`` record it must be the record's ``cam_subset``.
        where (str): File and record, for messages.

    Returns:
        dict: ``mono3d`` (V, K, 3) and ``mixtures`` (V, K, M, 4) bbox units,
        ``pose2d`` (V, K, 2) ground-truth reprojections in bbox units,
        ``keypoints_2d`` (V, K, 2) the mixture means in pixels, ``bboxes``
        (V, 4), ``projections`` (V, 3, 4) for world metres,
        ``cam0_rotation``, ``cam_rotations`` (V, 3, 3) MMPose's
        camera-to-world ``R``, ``cam_centres`` (V, 3) metres,
        ``cam_intrinsics`` (V, 4), ``cam_distortion`` (V, 5) k1, k2, p1, p2,
        k3, ``pose3d`` (K, 3) world mm, ``pose3d_cam0`` (K, 3) mm,
        ``sequence``, ``frame``, ``keys``, ``camera_subset``, ``num_views``;
        for an ``opt`` record also ``x_init``, ``x_best`` and the stage-1
        poses (``init_pose``, ``s1_pose``, ``init_rot0``, ``s1_rot0``).

    Raises:
        ValueError: naming ``where`` and the field for a missing field, a
            camera subset the record lacks, or non-finite values.
    """
    missing = [name for name in PRE_FIELDS if name not in record]
    if missing:
        raise ValueError(f'{where}: fields {missing} are missing (not a multi-view MetaPose '
                         'record)')
    opt = is_opt_record(record)
    subset = list(camera_subset)
    if opt:
        stored = [int(c) for c in record['cam_subset']]
        if subset != stored:
            raise ValueError(f'{where}: field cam_subset is {stored} (the stage-1 run of this '
                             f'opt record); camera_subset {subset} must equal it')
        subset = list(range(len(stored)))
    elif max(subset) >= len(record['keys']):
        raise ValueError(f'{where}: camera_subset {subset} but the record has '
                         f'{len(record["keys"])} cameras (field keys)')
    view = {name: np.asarray(record[name])[subset] for name in PRE_FIELDS if name != 'pose3d'}
    bboxes = view['bboxes'].astype(np.float64)
    origin, size = bbox_origin_size(torch.from_numpy(bboxes))
    pose2d, mixtures, pred = (torch.from_numpy(view[name].astype(np.float64))
                              for name in ('pose2d_repr', 'heatmaps', 'pose2d_pred'))
    if opt:  # stored in bbox units: keypoints back to pixels
        pred = pred * size[:, None, None] + origin[:, None]
    else:
        pose2d = points_to_bbox_units(pose2d, origin, size)
        mixtures = mixtures_to_bbox_units(mixtures, origin, size)
    keypoints = pred.numpy()
    check_views([k[None] for k in keypoints], where, [m[None] for m in mixtures.numpy()])
    to_mm = _to_millimetres(record['pose3d'], where)
    world_mm = np.asarray(record['pose3d'], dtype=np.float64) * to_mm
    rot_w2c = view['cam_rot'].astype(np.float64)
    centres = view['cam_pose3d'].astype(np.float64) * to_mm / 1000.0
    intr = view['cam_intr'].astype(np.float64)
    cam_to_world = np.swapaxes(rot_w2c, 1, 2)
    projections = np.stack([
        projection_matrix(dict(R=r, T=c, f=i[:2], c=i[2:]))
        for r, c, i in zip(cam_to_world, centres, intr)])
    sequence, frame_id = (int(v) for v in _parse_key(view['keys'][0], where)[:2])
    frame = dict(
        sequence=sequence, frame=frame_id, keys=[k.decode() for k in view['keys']],
        camera_subset=tuple(int(c) for c in camera_subset), num_views=len(subset),
        mono3d=view['pose3d_epi_pred'].astype(np.float32), mixtures=mixtures.numpy(),
        pose2d=pose2d.numpy(), keypoints_2d=keypoints, bboxes=bboxes, projections=projections,
        cam0_rotation=cam_to_world[0], cam_rotations=cam_to_world, cam_centres=centres,
        cam_intrinsics=intr, cam_distortion=view['cam_kd'].astype(np.float64),
        pose3d=world_mm, pose3d_cam0=(world_mm - centres[0] * 1000.0) @ cam_to_world[0])
    if opt:
        frame.update(_opt_solutions(record))
    return frame


def _parse_key(key: bytes, where: str):
    match = KEY_PATTERN.fullmatch(key.decode())
    if match is None:
        raise ValueError(f"{where}: field keys entry {key!r} is not 's%07d_f%07d_c%02d'")
    return match.groups()


def _to_millimetres(pose3d: np.ndarray, where: str) -> float:
    """1000 when the record's lengths are metres (its docstring's unit), 1 for mm."""
    pose = np.asarray(pose3d, dtype=np.float64)
    if pose.shape != (17, 3) or not np.isfinite(pose).all():
        raise ValueError(f'{where}: field pose3d must be finite (17, 3), got {pose.shape}')
    bones = np.linalg.norm(np.diff(pose[[0, 1, 2, 3]], axis=0), axis=-1)
    return 1.0 if np.median(bones) > _MM_THRESHOLD else 1000.0


def _opt_solutions(record: Dict[str, np.ndarray]) -> dict:
    """Stage 2's ``x_init`` (report 0) and ``x_best`` (last report), float64."""
    reports = [torch.from_numpy(np.asarray(record[name])) for name in REPORT_FIELDS]
    first, last = ([r[[i]] for r in reports] for i in (0, -1))
    return dict(x_init=pack_solution(*first)[0].double().numpy(),
                x_best=pack_solution(*last)[0].double().numpy(),
                init_pose=first[0][0].numpy(), init_rot0=first[1][0, 0].numpy(),
                s1_pose=last[0][0].numpy(), s1_rot0=last[1][0, 0].numpy())
