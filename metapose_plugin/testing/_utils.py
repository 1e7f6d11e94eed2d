"""Fake batches for tests of the models, metrics and hooks."""
from typing import List, Tuple

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from metapose_plugin.datasets.transforms.crop_affine import apply_affine, get_crop_affine
from metapose_plugin.structures.h36m_actions import H36M_ACTIONS
from metapose_plugin.structures.h36m_metainfo import h36m_flip_indices

# A Human3.6M-like camera: frame (w, h) in pixels, focal lengths and
# principal point in pixels.
_FRAME_SIZE = (1000, 1002)
_FOCAL = (1145.0, 1144.0)
_PRINCIPAL = (512.5, 515.5)


def _flip_indices(num_keypoints: int) -> List[int]:
    """H36M left/right swap for 17 joints, else the reversal involution."""
    if num_keypoints == 17:
        return h36m_flip_indices()
    return list(range(num_keypoints))[::-1]


def get_packed_inputs(batch_size: int,
                      num_keypoints: int = 17,
                      img_shape: Tuple[int, int] = (256, 192),
                      seed: int = 0) -> dict:
    """Build a batch as the H36M image pipeline and ``pseudo_collate`` do.

    Each sample is a random root-relative pose (metres) placed 4-6 m in
    front of an H36M-like camera (frame 1000 x 1002 px), projected, boxed
    and cropped with the SPEC crop affine, so the two 2D views, the 3D target
    and the box agree with each other as in real data; the image is noise.

    Note:
        - B: ``batch_size``, K: ``num_keypoints``, H, W: ``img_shape``.

    Args:
        batch_size (int): B.
        num_keypoints (int): K. For K = 17 ``flip_indices`` is the H36M
            left/right swap, otherwise the reversal ``[K-1, ..., 0]``.
            Defaults to 17.
        img_shape (tuple[int, int]): Crop (H, W). Defaults to (256, 192).
        seed (int): Seed of every random draw. Defaults to 0.

    Returns:
        dict: ``inputs``: list of B uint8 tensors (3, H, W) (BGR noise);
        ``data_samples``: list of B :class:`PoseDataSample` with, as in
        docs/design.md, ``gt_instances.keypoints`` (1, K, 2) crop pixels,
        ``keypoints_visible`` (1, K), ``lifting_target`` (1, K, 3) metres
        root-relative with joint 0 at 0, ``lifting_target_visible`` (1, K),
        ``target_root`` (1, 3) metres camera frame (numpy float32), and
        ``gt_instance_labels.keypoint_labels`` (1, K, 2) normalised full
        frame, ``lifting_target_label`` (1, K, 3) (float32 tensors); the
        metainfo keys of the design (action drawn from the 15 H36M names).
    """
    rng = np.random.RandomState(seed)
    height, width = img_shape
    frame_w, frame_h = _FRAME_SIZE
    samples = []
    for index in range(batch_size):
        image = rng.randint(0, 256, size=(3, height, width), dtype=np.uint8)

        root = np.array([rng.uniform(-0.5, 0.5), rng.uniform(-0.3, 0.3),
                         rng.uniform(4.0, 6.0)])
        relative = rng.uniform(-1.0, 1.0, (num_keypoints, 3)) * [0.4, 0.8, 0.3]
        relative[0] = 0.0
        joints_cam = root + relative
        # (K, 3) camera frame -> (K, 2) frame pixels, pinhole projection
        pixels = (joints_cam[:, :2] / joints_cam[:, 2:] * _FOCAL +
                  _PRINCIPAL)

        top_left, bottom_right = pixels.min(0), pixels.max(0)
        center = (top_left + bottom_right) / 2
        box_w, box_h = bottom_right - top_left
        scale_value = 1.2 * max(box_w, box_h * width / height) / 200
        scale = np.array([scale_value, scale_value])
        matrix = get_crop_affine(center, scale, (width, height))

        keypoints_crop = apply_affine(pixels, matrix)
        keypoints_frame = pixels / frame_w * 2 - [1, frame_h / frame_w]

        action = H36M_ACTIONS[rng.randint(len(H36M_ACTIONS))]
        subject = ('S9', 'S11')[rng.randint(2)]
        subaction = int(rng.randint(1, 3))
        camera_id = int(rng.randint(4))
        frame_id = int(rng.randint(1, 3000))

        gt_instances = InstanceData()
        gt_instances.keypoints = keypoints_crop[None].astype(np.float32)
        gt_instances.keypoints_visible = np.ones((1, num_keypoints),
                                                 np.float32)
        gt_instances.lifting_target = relative[None].astype(np.float32)
        gt_instances.lifting_target_visible = np.ones((1, num_keypoints),
                                                      np.float32)
        gt_instances.target_root = root[None].astype(np.float32)

        gt_instance_labels = InstanceData()
        gt_instance_labels.keypoint_labels = torch.from_numpy(
            keypoints_frame[None].astype(np.float32))
        gt_instance_labels.lifting_target_label = torch.from_numpy(
            relative[None].astype(np.float32))

        data_sample = PoseDataSample(metainfo=dict(
            id=index,
            img_path=(f'{subject}/{subject}_{action}.{camera_id}/'
                      f'{subject}_{action}.{camera_id}_{frame_id:06d}.jpg'),
            subject=subject,
            action=action,
            subaction=subaction,
            camera_id=camera_id,
            frame_id=frame_id,
            flip_indices=_flip_indices(num_keypoints),
            input_size=(width, height),
            img_shape=(height, width),
            ori_shape=(frame_h, frame_w),
            center=center.astype(np.float32),
            scale=scale.astype(np.float32),
            frame_size=(frame_w, frame_h),
            flip=False,
            flip_direction=None))
        data_sample.gt_instances = gt_instances
        data_sample.gt_instance_labels = gt_instance_labels
        samples.append(
            dict(inputs=torch.from_numpy(image), data_samples=data_sample))
    return pseudo_collate(samples)
