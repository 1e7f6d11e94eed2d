"""Pass 1 of offline lifting: detection, top-down 2D and tracking over every
frame of the input, keypoints converted to the lifter's H36M joints."""
from typing import Iterable, List, Union

import numpy as np
from mmpose.apis.inferencers import Pose2DInferencer
from mmpose.structures import PoseDataSample

from metapose_plugin.structures.pose_tracks import FramePeople, Pose2DVideo

from .lifter_inputs import to_h36m
from .person_tracker import PersonTracker


def frame_people(results_2d: List[PoseDataSample], dataset_2d: str) -> FramePeople:
    """The tracked people of one frame (one 2D data sample per person, each
    with ``track_id``) with keypoints and scores converted to the 17 H36M
    joints (:func:`to_h36m`).

    Returns:
        FramePeople: N = ``len(results_2d)`` people, in input order.
    """
    count = len(results_2d)
    keypoints = np.zeros((count, 17, 2), np.float32)
    scores = np.zeros((count, 17), np.float32)
    bboxes = np.zeros((count, 4), np.float32)
    bbox_scores = np.zeros(count, np.float32)
    for i, result in enumerate(results_2d):
        instances = result.pred_instances
        converted, converted_scores = to_h36m(np.asarray(instances.keypoints),
                                              np.asarray(instances.keypoint_scores), dataset_2d)
        keypoints[i], scores[i] = converted[0], converted_scores[0]
        bboxes[i] = np.asarray(instances.bboxes, np.float32).reshape(4)
        bbox_scores[i] = float(np.ravel(instances.bbox_scores)[0])
    track_ids = np.array([result.track_id for result in results_2d], np.int64)
    return FramePeople(track_ids=track_ids, keypoints=keypoints, scores=scores, bboxes=bboxes,
                       bbox_scores=bbox_scores)


def _whole_image_fallback(results: List[PoseDataSample]) -> bool:
    """Whether MMPose's 2D inferencer fell back to the whole image because
    its detector found nobody (one box ``[0, 0, w, h]`` with score 1)."""
    if len(results) != 1:
        return False
    height, width = results[0].metainfo['ori_shape'][:2]
    instances = results[0].pred_instances
    return (np.allclose(np.asarray(instances.bboxes).reshape(4), [0, 0, width, height])
            and np.allclose(np.asarray(instances.bbox_scores), 1.0))


def estimate_tracked_2d(pose2d: Pose2DInferencer,
                        frames: Iterable[Union[str, np.ndarray]],
                        name: str,
                        fps: float,
                        dataset_2d: str,
                        tracker: PersonTracker,
                        bbox_thr: float = 0.3,
                        nms_thr: float = 0.3) -> Pose2DVideo:
    """Detect, estimate 2D and track every frame.

    Args:
        pose2d (Pose2DInferencer): MMPose's top-down 2D inferencer (with its
            detector, or ``'whole_image'``).
        frames (Iterable[str | np.ndarray]): Image paths or BGR frames
            (h, w, 3), in time order.
        name (str): The input's name (outputs and errors).
        fps (float): Frames per second of the input.
        dataset_2d (str): ``dataset_name`` of the 2D model.
        tracker (PersonTracker): A fresh tracker.
        bbox_thr (float): Detection score threshold. Defaults to 0.3.
        nms_thr (float): Detection NMS IoU threshold. Defaults to 0.3.

    Returns:
        Pose2DVideo: The tracked 2D of every frame (H36M joints, pixels). A
        frame where the detector found no person has none (MMPose's 2D
        inferencer estimates a pose in the whole image then; it is dropped).

    Raises:
        ValueError: If there are no frames, or frames change size.
    """
    video = Pose2DVideo(name=name, image_size=None, fps=float(fps))
    for index, frame in enumerate(frames):
        results = next(pose2d(frame, bbox_thr=bbox_thr, nms_thr=nms_thr, merge_results=False,
                              return_datasamples=True))['predictions']
        height, width = results[0].metainfo['ori_shape'][:2]
        if video.image_size is None:
            video.image_size = (int(width), int(height))
        if tuple(video.image_size) != (width, height):
            raise ValueError(f'{name}: frame {index} is {width}x{height}, the input '
                             f'{video.image_size[0]}x{video.image_size[1]}')
        people = [] if pose2d.detector is not None and _whole_image_fallback(results) else results
        tracker.assign(people)
        video.frames.append(frame_people(people, dataset_2d))
    if not video.frames:
        raise ValueError(f'{name}: no frames to estimate 2D on')
    return video
