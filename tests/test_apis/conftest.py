"""Fixtures of the inferencer tests: tiny configs, checkpoints, the video."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from metapose_plugin.testing.tiny_pose2d import tiny_pose2d_config  # noqa: F401 (for the tests)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VIDEO = osp.join(REPO, 'data', 'videos', 'demo.mp4')
CAPF_TINY = osp.join(REPO, 'configs', 'capf', 'capf_tiny-hrnet-cpn_1xb2-1e_h36m-256x192-sample.py')
METAPOSE_TINY = osp.join(REPO, 'configs', 'metapose',
                         'metapose_tiny-hrnet-cpn_clip_1xb2-1e_h36m-256x192-sample.py')


@pytest.fixture(autouse=True)
def restore_default_scope():
    """Inferencers set the global default scope: undo it after each test."""
    with DefaultScope.overwrite_default_scope('mmpose'):
        yield


@pytest.fixture(scope='module')
def shared_checkpoints(tmp_path_factory):
    """A tiny 2D HRNet and a tiny CA-PF lifter checkpoint whose backbone
    weights are the 2D model's (as the real COCO HRNet-W32 ones are)."""
    from mmpose.registry import MODELS

    import metapose_plugin  # noqa: F401
    with DefaultScope.overwrite_default_scope('mmpose'):
        torch.manual_seed(0)
        pose2d = MODELS.build(tiny_pose2d_config().model)
        lifter = MODELS.build(Config.fromfile(CAPF_TINY).model)
    state_2d = pose2d.state_dict()
    state_3d = {
        key: state_2d[key] if key.startswith('backbone.') else value
        for key, value in lifter.state_dict().items()
    }
    folder = tmp_path_factory.mktemp('ckpt')
    torch.save(dict(state_dict=state_2d), folder / 'pose2d.pth')
    torch.save(dict(state_dict=state_3d), folder / 'lifter.pth')
    return str(folder / 'pose2d.pth'), str(folder / 'lifter.pth')
