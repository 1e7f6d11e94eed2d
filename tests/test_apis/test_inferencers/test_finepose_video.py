"""FinePOSE through MMPose's own Pose3DInferencer (the online path, which
the README no longer shows): tracked 2D windows around every frame, the
centre frame kept, the lifter's notice, logged once, that the window's
future is a copy of the current frame, and an upright picture with all
joints (tiny random models)."""
import os

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpose.apis.inferencers import Pose3DInferencer

from metapose_plugin.models.utils import frozen_future_warning
from metapose_plugin.testing import record_3d_panels

from ..conftest import REPO, VIDEO, tiny_pose2d_config

TINY = (f'{REPO}/configs/finepose/'
        'finepose_tiny-mixste-27frm-cpn_clip_1xb4-1e_h36m-videopose3d-sample.py')


@pytest.fixture(scope='module')
def video_cfg(tmp_path_factory):
    from mmpose.registry import MODELS
    cfg = Config.fromfile(TINY)
    cfg.model.test_cfg.update(output_frames='centre', num_hypotheses=2, num_steps=1)
    with DefaultScope.overwrite_default_scope('mmpose'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
    path = tmp_path_factory.mktemp('finepose') / 'finepose.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return cfg, str(path)


def test_pose3d_inferencer_lifts_every_frame(video_cfg, shared_checkpoints, tmp_path,
                                             monkeypatch):
    notices = []
    monkeypatch.setattr(frozen_future_warning, 'print_log',
                        lambda message, **kwargs: notices.append(message))
    cfg, weights = video_cfg
    pose2d = tmp_path / 'pose2d.py'
    tiny_pose2d_config().dump(str(pose2d))
    inferencer = Pose3DInferencer(cfg, weights, pose2d_model=str(pose2d),
                                  pose2d_weights=shared_checkpoints[0], device='cpu',
                                  det_model='whole_image')
    frames = [r['predictions'][0] for r in inferencer(VIDEO, return_datasamples=True)]
    assert len(frames) == 5
    for sample in frames:
        keypoints = np.asarray(sample.pred_instances.keypoints)
        assert keypoints.shape == (1, 17, 3) and np.isfinite(keypoints).all()
    assert len(notices) == 1 and 'is a copy of the centre frame' in notices[0]


def test_output_frames_is_checked(video_cfg):
    from mmpose.registry import MODELS
    cfg, _ = video_cfg
    model_cfg = cfg.model.copy()
    model_cfg.test_cfg = dict(model_cfg.test_cfg, output_frames='middle')
    with DefaultScope.overwrite_default_scope('mmpose'):
        model = MODELS.build(model_cfg).eval()
    inputs = torch.zeros(1, 27, 17, 2)
    from mmpose.structures import PoseDataSample
    sample = PoseDataSample(metainfo=dict(flip_indices=list(range(17))))
    with pytest.raises(ValueError, match="output_frames must be 'window' or 'centre'"):
        with torch.no_grad():
            model(inputs, [sample], mode='predict')


def test_vis_out_dir_draws_the_inferencers_pose_with_all_joints(video_cfg, shared_checkpoints,
                                                                tmp_path, monkeypatch):
    """The online route with ``vis_out_dir``: MMPose's inferencer used to
    fail on the config's 2D visualizer; ours drew the pose lying down (a
    second conversion) and hid joints (its 0.3 threshold). The 3D panel now
    gets the inferencer's upright keypoints unchanged and its ``kpt_thr``."""
    cfg, weights = video_cfg
    assert cfg.visualizer.type == 'MetaPose3dLocalVisualizer'
    drawn = record_3d_panels(monkeypatch)
    pose2d = tmp_path / 'pose2d.py'
    tiny_pose2d_config().dump(str(pose2d))
    inferencer = Pose3DInferencer(cfg, weights, pose2d_model=str(pose2d),
                                  pose2d_weights=shared_checkpoints[0], device='cpu',
                                  det_model='whole_image')
    results = list(inferencer(VIDEO, vis_out_dir=str(tmp_path / 'vis'), kpt_thr=0.0,
                              return_datasamples=True))
    assert len(drawn) == len(results) == 5
    for (keypoints, kpt_thr), result in zip(drawn, results):
        shown = np.asarray(result['predictions'][0].pred_instances.keypoints)
        np.testing.assert_array_equal(keypoints, shown)  # not converted again
        assert kpt_thr == 0.0
    assert len(os.listdir(tmp_path / 'vis')) == 1  # the video
