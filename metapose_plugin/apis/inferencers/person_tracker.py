"""Track ids of people across frames, as MMPose's ``Pose3DInferencer`` gives
them: each person of a frame takes the id of the best-matching unmatched
person of the previous frame (greedy IoU of boxes or OKS of keypoints,
MMPose's ``_track_by_iou`` / ``_track_by_oks``), or a new id."""
from typing import List

import numpy as np
from mmpose.apis import _track_by_iou, _track_by_oks
from mmpose.structures import PoseDataSample


class PersonTracker:
    """Frame-to-frame tracker; one instance per video.

    Args:
        use_oks (bool): OKS of keypoints instead of IoU of boxes. Defaults to
            False.
        threshold (float): Least IoU / OKS of a match. Defaults to 0.3.
    """

    def __init__(self, use_oks: bool = False, threshold: float = 0.3) -> None:
        self.use_oks = use_oks
        self.threshold = threshold
        self._previous: List[PoseDataSample] = []
        self._next_id = 0

    def reset(self) -> None:
        """Forget the previous frame (a new, unrelated image); ids keep
        counting."""
        self._previous = []

    def assign(self, people: List[PoseDataSample]) -> List[int]:
        """Give each person of a frame a ``track_id`` (set on the data sample
        and returned).

        Args:
            people (list[PoseDataSample]): One sample per person with
                ``pred_instances.bboxes`` (1, 4) xyxy pixels, and for OKS
                ``keypoints`` (1, K, 2) and ``keypoint_scores`` (1, K).

        Returns:
            list[int]: The track ids, in the order of ``people``.
        """
        match = _track_by_oks if self.use_oks else _track_by_iou
        previous = list(self._previous)
        ids = []
        for person in people:
            instances = person.pred_instances
            boxes = np.asarray(instances.bboxes)
            instances.areas = (boxes[..., 2:] - boxes[..., :2]).prod(-1)
            track_id, previous, _ = match(person, previous, self.threshold)
            if track_id == -1:
                track_id = self._next_id
                self._next_id += 1
            person.set_field(int(track_id), 'track_id')
            ids.append(int(track_id))
        self._previous = list(people)
        return ids
