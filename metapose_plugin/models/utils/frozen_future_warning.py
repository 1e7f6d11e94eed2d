"""Tell users of MMPose's online video path that a non-causal lifter sees a
frozen future there.

MMPose's ``Pose3DInferencer`` cuts the window of frame t from the 2D results
seen so far (``extract_pose_sequence``), so every position after the window
centre is a copy of frame t. A centred lifter (FinePOSE, MPM) was trained on
the real future. Windows of the test datasets and of the offline video path
(``MetaPose3DInferencer``) carry ``frame_ids`` / ``target_frame_ids`` in
their metainfo; MMPose's online windows carry neither.

Note:
    - B: windows, F: frames of a window, K: joints, C: 2D channels
"""
import logging
from typing import Sequence

from mmengine.logging import print_log
from torch import Tensor

#: metainfo fields of windows whose frames are known to be real
FRAME_FIELDS = ('frame_ids', 'target_frame_ids')


def future_is_copied(keypoints_2d: Tensor, data_samples: Sequence) -> bool:
    """Whether every window of the batch comes without frame ids and repeats
    its centre frame (index (F - 1) // 2) at every later position.

    Args:
        keypoints_2d (Tensor): Windows (B, F, K, C).
        data_samples (Sequence): Their data samples.
    """
    frames = keypoints_2d.shape[1]
    if frames < 2 or any(field in d.metainfo for d in data_samples for field in FRAME_FIELDS):
        return False
    centre = (frames - 1) // 2
    future = keypoints_2d[:, centre + 1:]
    return bool((future == keypoints_2d[:, centre:centre + 1]).all())


class FrozenFutureWarning:
    """Log, once per lifter, that its windows' future is a copy of the
    current frame, and name the offline path.

    Args:
        lifter (str): The lifter's class name, for the message.
    """

    def __init__(self, lifter: str) -> None:
        self.lifter = lifter
        self.logged = False

    def check(self, keypoints_2d: Tensor, data_samples: Sequence) -> None:
        """Log the warning (the first time only) if
        :func:`future_is_copied` holds for this batch."""
        if self.logged or not future_is_copied(keypoints_2d, data_samples):
            return
        self.logged = True
        print_log(
            f'{self.lifter}: every 2D frame after the window centre is a copy of the centre '
            "frame, as MMPose's Pose3DInferencer / MMPoseInferencer cut windows online from "
            'the frames seen so far; this non-causal lifter was trained with the real future '
            'and predicts worse. Lift videos offline with metapose_plugin.apis.'
            "MetaPose3DInferencer (alias 'metapose-3d') or projects/metapose/demo/"
            'inferencer_demo.py. (Logged once.)',
            logger='current', level=logging.WARNING)
