"""Conversion of MMPose's Human3.6M layout to the CA-PF pickle layout.

MMPose's npz lacks what the CA-PF pickles carry (normalised 2D, crop-pixel
2D, the per-record camera, the 3D-derived person box), and all of it can be
recomputed from the npz, ``cameras.pkl`` and the detection ``.npy``; the
reverse direction needs nothing new, so only npz -> pickle is provided.
"""
from typing import List, Optional

import numpy as np

from metapose_plugin.engine.fileio import load_pickle
from metapose_plugin.structures.h36m_actions import H36M_ACTIONS, PICKLE_FIRST_ACTION_ID

from ..transforms.crop_affine import apply_affine, get_crop_affine
from .h36m_annotations import H36M_CAMERAS, normalise_frame, read_mmpose_npz

# H36M-Toolbox's person box around the root joint, camera frame, mm:
# 2 m wide, from 0.9 m above to 1.1 m below the root.
_BOX_LEFT_TOP_MM = np.array([-1000.0, -900.0])
_BOX_RIGHT_BOTTOM_MM = np.array([1000.0, 1100.0])


def capf_image_name(subject: str, action: str, subaction: int,
                    camera_id: int, frame_id: int) -> str:
    """Relative image path of a frame in the CA-PF / H36M-Toolbox layout."""
    folder = (f's_{int(subject[1:]):02d}_act_'
              f'{H36M_ACTIONS.index(action) + PICKLE_FIRST_ACTION_ID:02d}_'
              f'subact_{subaction:02d}_ca_{camera_id + 1:02d}')
    return f'{folder}/{folder}_{frame_id:06d}.jpg'


def _root_box(root_m: np.ndarray, focal: np.ndarray,
              principal: np.ndarray) -> np.ndarray:
    """(x1, y1, x2, y2) frame pixels of the box around a root (metres)."""
    root_mm = root_m * 1000.0
    corners = []
    for offset in (_BOX_LEFT_TOP_MM, _BOX_RIGHT_BOTTOM_MM):
        # weak perspective: both corners at the root's depth
        corners.append((root_mm[:2] + offset) / root_mm[2] * focal +
                       principal)
    return np.concatenate(corners)


def mmpose_npz_to_capf_records(npz_file: str,
                               camera_param_file: str,
                               keypoint_2d_det_file: Optional[str] = None,
                               input_size=(192, 256)) -> List[dict]:
    """Build CA-PF pickle records (SPEC section 6) from MMPose's H36M files.

    Args:
        npz_file (str): MMPose's ``h36m_*.npz``.
        camera_param_file (str): MMPose's ``cameras.pkl``.
        keypoint_2d_det_file (str, optional): 2D detections (N, K, 2 or 3),
            frame pixels; gives ``joints_2d_cpn(_crop)`` when given.
        input_size (tuple[int, int]): Crop (W, H) of the ``*_crop`` fields.

    Returns:
        list[dict]: One record per npz row, with the pickles' fields; the box,
        ``center`` and ``scale`` are recomputed from the 3D root as
        H36M-Toolbox does (not the npz box), ``video_id`` numbers the
        (subject, action, subaction, camera) sequences in order of first
        appearance.
    """
    gt = read_mmpose_npz(npz_file, camera_param_file, None, 'gt', 17)
    sources = dict(gt=gt)
    if keypoint_2d_det_file is not None:
        sources['cpn'] = read_mmpose_npz(npz_file, camera_param_file,
                                         keypoint_2d_det_file, 'cpn', 17)
    cameras = load_pickle(camera_param_file, "MMPose's Human3.6M cameras.pkl")

    video_ids = {}
    records = []
    for i, img_path in enumerate(gt['img_path']):
        subject, action = str(gt['subject'][i]), str(gt['action'][i])
        subaction, camera_id = int(gt['subaction'][i]), int(gt['camera_id'][i])
        frame_id = int(gt['frame_id'][i])
        camera = cameras[(subject, H36M_CAMERAS[camera_id])]
        focal, principal = camera['f'].ravel(), camera['c'].ravel()
        joints_3d = gt['joints_3d'][i]
        box = _root_box(joints_3d[0], focal, principal)
        center = (box[:2] + box[2:]) / 2
        scale = (box[2:] - box[:2]) / 200.0
        matrix = get_crop_affine(center, scale, input_size)
        video_key = (subject, action, subaction, camera_id)
        record = dict(
            image=capf_image_name(subject, action, subaction, camera_id,
                                  frame_id),
            joints_3d=joints_3d,
            joints_vis=np.repeat(gt['joints_3d_visible'][i][:, None], 3, 1),
            video_id=video_ids.setdefault(video_key, len(video_ids)),
            image_id=frame_id,
            subject=int(subject[1:]),
            action=H36M_ACTIONS.index(action) + PICKLE_FIRST_ACTION_ID,
            subaction=subaction,
            camera_id=camera_id,
            source='h36m',
            camera=dict(
                R=camera['R'],
                T=camera['T'] * 1000.0,
                fx=focal[0],
                fy=focal[1],
                cx=principal[0],
                cy=principal[1],
                k=camera['k'],
                p=camera['p']),
            nposes=1,
            center=tuple(center),
            scale=tuple(scale),
            box=box)
        for name, columns in sources.items():
            pixels = columns['keypoints'][i]
            record[f'joints_2d_{name}'] = normalise_frame(
                pixels[None], columns['frame_size'][i:i + 1])[0]
            record[f'joints_2d_{name}_crop'] = apply_affine(pixels, matrix)
        records.append(record)
    return records
