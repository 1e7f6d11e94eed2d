"""Lifter inputs from a top-down 2D result: H36M joints, crop, both views."""
from typing import Optional, Tuple

import cv2
import numpy as np
import torch
from mmengine.structures import InstanceData
from mmpose.apis import convert_keypoint_definition
from mmpose.structures import PoseDataSample
from mmpose.structures.bbox import get_udp_warp_matrix, get_warp_matrix

NUM_H36M_JOINTS = 17


def to_h36m(keypoints: np.ndarray, scores: np.ndarray,
            dataset_2d: str) -> Tuple[np.ndarray, np.ndarray]:
    """Convert 2D keypoints and scores of ``dataset_2d`` to the 17 H36M
    joints with MMPose's :func:`convert_keypoint_definition`.

    COCO-WholeBody's first 17 keypoints are COCO's body joints, so they are
    converted as COCO (MMPose would pass all 133 through unchanged).

    Args:
        keypoints (np.ndarray): (N, K_2d, 2) frame pixels.
        scores (np.ndarray): (N, K_2d) confidences.
        dataset_2d (str): ``dataset_name`` of the 2D model's metainfo.

    Returns:
        tuple[np.ndarray, np.ndarray]: (N, 17, 2) keypoints and (N, 17)
        scores, float32.

    Raises:
        ValueError: If ``dataset_2d`` has no conversion to H36M.
    """
    if dataset_2d == 'coco_wholebody':
        keypoints, scores, dataset_2d = keypoints[:, :17], scores[:, :17], 'coco'
    points = np.concatenate([keypoints[..., :2], scores[..., None]], axis=-1)
    try:
        converted = convert_keypoint_definition(points.astype(np.float32), dataset_2d, 'h36m')
    except NotImplementedError:
        converted = None
    if converted is None or converted.shape[1] != NUM_H36M_JOINTS:
        raise ValueError(
            f'the 2D model predicts keypoints of dataset {dataset_2d!r} ({keypoints.shape[1]} '
            'joints), which cannot be converted to the 17 H36M joints of the lifter; use a 2D '
            'model trained on h36m, coco, coco_wholebody, posetrack18, aic or crowdpose')
    return converted[..., :2], converted[..., 2]


def crop_warp_matrix(center: np.ndarray, scale: np.ndarray, input_size: Tuple[int, int],
                     use_udp: bool = False) -> np.ndarray:
    """MMPose top-down crop affine (as ``TopdownAffine``, no rotation) from
    frame pixels to the (W, H) crop. The box is first enlarged to the crop's
    aspect ratio, a no-op for a 2D model of the same aspect ratio, so the
    crop is the 2D model's input whenever the input sizes agree.

    Args:
        center (np.ndarray): Box centre (2,) frame pixels (the 2D data
            sample's ``input_center``).
        scale (np.ndarray): Box size (w, h) frame pixels (``input_scale``).
        input_size (tuple[int, int]): Crop (W, H).
        use_udp (bool): Unbiased data processing affine (as the 2D model's
            ``TopdownAffine(use_udp=True)``). Defaults to False.

    Returns:
        np.ndarray: (2, 3) matrix for ``cv2.warpAffine``.
    """
    width, height = input_size
    box_w, box_h = np.asarray(scale, np.float32)[:2]
    aspect = width / height
    box = np.array([box_w, box_w / aspect] if box_w > box_h * aspect else
                   [box_h * aspect, box_h], np.float32)
    center = np.asarray(center, np.float32)
    if use_udp:
        return get_udp_warp_matrix(center, box, 0.0, (width, height))
    return get_warp_matrix(center, box, 0.0, (width, height))


def build_lifter_sample(keypoints: np.ndarray, matrix: np.ndarray, frame_size: Tuple[int, int],
                        input_size: Tuple[int, int], metainfo: dict,
                        action: Optional[str]) -> PoseDataSample:
    """One person's lifter data sample (docs/design.md contract).

    Note:
        K: 17 H36M joints.

    Args:
        keypoints (np.ndarray): (K, 2) H36M joints, frame pixels.
        matrix (np.ndarray): (2, 3) frame-to-crop affine.
        frame_size (tuple[int, int]): Frame (w, h) in pixels.
        input_size (tuple[int, int]): Crop (W, H), (192, 256).
        metainfo (dict): Lifter metainfo (``flip_indices`` ...), copied.
        action (str, optional): Action name for the text prompts, or None
            (action-agnostic prompts).

    Returns:
        PoseDataSample: ``gt_instances.keypoints`` (1, K, 2) crop pixels,
        ``gt_instance_labels.keypoint_labels`` (1, K, 2) normalised full
        frame ``X / w * 2 - [1, h / w]``, metainfo with ``frame_size``,
        ``input_size`` and ``action``.
    """
    width, height = frame_size
    crop = keypoints @ matrix[:, :2].T + matrix[:, 2]
    frame = keypoints / width * 2 - np.array([1, height / width])
    sample = PoseDataSample(metainfo=dict(
        metainfo, frame_size=tuple(frame_size), input_size=tuple(input_size), action=action))
    sample.gt_instances = InstanceData(keypoints=crop[None].astype(np.float32))
    sample.gt_instance_labels = InstanceData(
        keypoint_labels=torch.from_numpy(frame[None].astype(np.float32)))
    return sample


def crop_image(frame: np.ndarray, matrix: np.ndarray, input_size: Tuple[int, int]) -> torch.Tensor:
    """Warp the frame (h, w, 3) uint8 BGR to the crop, bilinear as MMPose's
    ``TopdownAffine``; returns a (3, H, W) uint8 tensor."""
    crop = cv2.warpAffine(frame, matrix, tuple(input_size), flags=cv2.INTER_LINEAR)
    return torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1)))
