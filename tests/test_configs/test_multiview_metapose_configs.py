"""Multi-view MetaPose configs: -ref vs default switches, camera subsets."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmpose.registry import OPTIMIZERS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'multiview_metapose', '*.py')))


def test_every_camera_count_has_a_default_and_a_reference_config():
    names = [osp.basename(p) for p in CONFIGS]
    for views in (2, 3, 4):
        for algo in ('multiview-metapose', 'multiview-metapose-ref'):
            assert f'{algo}_ccat-mlp-1stage_1xb128-3000e_h36m-{views}cam.py' in names


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_views_subsets_and_behaviour(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['metapose_plugin']
    views = cfg.model.num_views
    reference = osp.basename(path).startswith('multiview-metapose-ref')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert len(dataset.camera_subset) == views and dataset.camera_subset[0] == 0
        assert dataset.stage1.init_with_view0 is not reference
        assert dataset.stage1.proper_init is not reference
        assert dataset.stage1.report_mode == ('reference' if reference else 'current')
    best = cfg.default_hooks.checkpoint.save_best
    assert best == ('multiview/pmpjpe_ref' if reference else 'multiview/objective')
    assert (cfg.optim_wrapper.optimizer.type == 'KerasAdam') is reference
    optimizer = OPTIMIZERS.build(dict(cfg.optim_wrapper.optimizer,
                                      params=[torch.zeros(1, requires_grad=True)]))
    assert type(optimizer).__name__ == ('KerasAdam' if reference else 'Adam')
    if reference:  # validation on the first 64 training frames, as the reference
        assert cfg.val_dataloader.dataset.indices == 64
        assert cfg.val_dataloader.dataset.subjects == cfg.train_dataloader.dataset.subjects
    else:  # held-out subject: the 2D-only criterion is not measured on training frames
        assert not set(cfg.val_dataloader.dataset.subjects) & set(
            cfg.train_dataloader.dataset.subjects)
