"""MMPose's own MMPoseInferencer(pose3d=...) with an image-based lifter.

MMPose's 3D path hands the lifter 2D keypoint sequences without the frame,
which CA-PF and MetaPose cannot lift: the user gets an error that names the
inferencer that works, before the lifter runs, instead of a KeyError deep in
the pipeline.
"""
import pytest
from mmpose.apis import MMPoseInferencer

from ..conftest import CAPF_TINY, VIDEO, tiny_pose2d_config


def test_mmpose_inferencer_names_the_working_path(shared_checkpoints, tmp_path):
    pose2d_ckpt, lifter_ckpt = shared_checkpoints
    config = tmp_path / 'pose2d.py'
    tiny_pose2d_config().dump(str(config))
    inferencer = MMPoseInferencer(pose2d=str(config), pose2d_weights=pose2d_ckpt,
                                  pose3d=CAPF_TINY, pose3d_weights=lifter_ckpt,
                                  det_model='whole_image', device='cpu')
    with pytest.raises(ValueError) as error:
        next(inferencer(VIDEO, show=False))
    message = str(error.value)
    for text in ('MetaPose3DInferencer', "'metapose-3d'",
                 'projects/metapose/demo/inferencer_demo.py', 'Pose3DInferencer'):
        assert text in message
