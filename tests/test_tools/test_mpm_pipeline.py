"""MPM pretraining -> fine-tuning -> test with tools/train.py and
tools/test.py on the shipped synthetic sample (toy configs, a few windows)."""
import os.path as osp

import torch
from mmengine.config import Config
from mmpose.registry import MODELS

from ._tool_utils import REPO, free_port, run_tool, val_metrics

PRETRAIN = 'configs/mpm/mpm-pretrain_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py'
LIFT = 'configs/mpm/mpm-lift_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py'
SHORT = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
         'train_dataloader.dataset.subset_frac=0.05', 'val_dataloader.dataset.subset_frac=0.05',
         'test_dataloader.dataset.subset_frac=0.05', 'randomness.seed=0']


def test_pretrain_finetune_test(tmp_path):
    pre_dir, lift_dir = str(tmp_path / 'pre'), str(tmp_path / 'lift')
    output = run_tool(['tools/train.py', PRETRAIN, '--work-dir', pre_dir, '--cfg-options',
                       *SHORT])
    assert 'mpm/pose2d_x1000' in output and 'mpm/pose3d_mpjpe' in output
    pretrained = osp.join(pre_dir, 'epoch_1.pth')

    # the lifter's encoder receives every pretrained encoder weight it has
    cfg = Config.fromfile(osp.join(REPO, LIFT))
    cfg.model.backbone.init_cfg.checkpoint = pretrained
    lifter = MODELS.build(cfg.model)
    before = {k: v.clone() for k, v in lifter.backbone.state_dict().items()}
    lifter.init_weights()
    source = torch.load(pretrained, map_location='cpu', weights_only=False)['state_dict']
    received = lifter.backbone.state_dict()
    assert len(received) > 20
    for key, value in received.items():
        assert torch.equal(value, source['backbone.' + key]), key
    assert any(not torch.equal(before[k], received[k]) for k in received)
    assert 'backbone.embeds.pose3d.proj.fc.weight' in source  # pretraining-only parts exist

    output = run_tool(['tools/train.py', LIFT, '--work-dir', lift_dir, '--cfg-options',
                       f'model.backbone.init_cfg.checkpoint={pretrained}', *SHORT])
    assert 'load backbone. in model from' in output
    (trained, ) = val_metrics(output)
    # the test tool on the validation subject gives the validation's numbers
    output = run_tool(['tools/test.py', LIFT, osp.join(lift_dir, 'epoch_1.pth'), '--work-dir',
                       str(tmp_path / 'test'), '--cfg-options', *SHORT,
                       'test_dataloader.dataset.subjects=[S5]'])
    (tested, ) = val_metrics(output)
    assert tested == trained and tested['P1'] > 0


def test_pretraining_runs_under_dist_train(tmp_path):
    """Two gloo processes (torchrun) pretrain and validate the toy config."""
    output = run_tool(['tools/dist_train.sh', PRETRAIN, '2', '--work-dir', str(tmp_path),
                       '--cfg-options', *SHORT], env=dict(PORT=str(free_port())))
    assert 'GPU number: 2' in output and "backend='gloo'" in output
    assert 'mpm/pose2d_x1000' in output and osp.isfile(osp.join(tmp_path, 'epoch_1.pth'))
