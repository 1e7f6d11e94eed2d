"""Ablation configs of multi-view MetaPose: each is a small override of the default
config that builds and trains one epoch on the shipped sample.

Each ablation's difference from the default 4-camera config is applied to the
tiny sample config (so the test trains the tiny model on the sample with the
ablation's switches) and trained for one epoch in process.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from metapose_plugin.evaluation.functional.multiview_metrics import solution_metrics

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FOLDER = osp.join(REPO, 'configs', 'multiview_metapose')
SUFFIX = '1stage_1xb128-3000e_h36m-4cam.py'
DEFAULT = f'multiview-metapose_ccat-mlp-{SUFFIX}'
TINY = 'multiview-metapose_tiny-ccat-mlp-1stage_1xb32-10e_h36m-videopose3d-sample.py'
#: config -> (README row, train losses it must log)
ABLATIONS = {
    f'multiview-metapose-ss_ccat-mlp-{SUFFIX}': ('S1+S2/SS', {'loss_logp'}),
    f'multiview-metapose-ts_ccat-mlp-{SUFFIX}': ('S1+S2/TS', {'loss_x_opt'}),
    f'multiview-metapose-bl_ccat-mlp-{SUFFIX}': ('S1+S2/BL', {'loss_fwd', 'loss_bone'}),
    f'multiview-metapose_flat-mlp-{SUFFIX}': ('S1+S2/MLP', {'loss_fwd'}),
    f'multiview-metapose-drop-inputs_ccat-mlp-{SUFFIX}': ('drop MLP inputs', {'loss_fwd'}),
    f'multiview-metapose-gt-init_ccat-mlp-{SUFFIX}': ('GT+IR', {'loss_fwd'}),
}


def _difference(config: dict, base: dict) -> dict:
    """What ``config`` changes in ``base``, as a dict to merge (a component of
    another ``type`` replaces the base's with ``_delete_``)."""
    diff = {}
    for key, value in config.items():
        old = base.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            if value.get('type') != old.get('type'):
                diff[key] = dict(value, _delete_=True)
            elif (inner := _difference(value, old)):
                diff[key] = inner
        elif value != old:
            diff[key] = value
    return diff


def _flat_keys(diff: dict, prefix: str = '') -> set:
    keys = set()
    for key, value in diff.items():
        if isinstance(value, dict) and '_delete_' not in value:
            keys |= _flat_keys(value, f'{prefix}{key}.')
        else:
            keys.add(prefix + key)
    return keys


def _load(name: str) -> dict:
    return Config.fromfile(osp.join(FOLDER, name)).to_dict()


def test_each_readme_row_is_one_small_override_of_the_default():
    base = _load(DEFAULT)
    # keys of the default config each ablation changes (its own helper variables left out)
    changed = {name: {key for key in _flat_keys(_difference(_load(name), base))
                      if key.split('.')[0] in base} for name in ABLATIONS}
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    assert changed == {
        f'multiview-metapose-ss_ccat-mlp-{SUFFIX}': {'model.loss_weights.fwd',
                                                     'model.loss_weights.logp'},
        f'multiview-metapose-ts_ccat-mlp-{SUFFIX}': {'model.loss_weights.fwd',
                                                     'model.loss_weights.x_opt'},
        f'multiview-metapose-bl_ccat-mlp-{SUFFIX}': {
            'model.use_bone_lengths', 'model.loss_weights.bone',
            *(f'{loader}.dataset.use_bone_lengths' for loader in loaders)},
        f'multiview-metapose_flat-mlp-{SUFFIX}': {'model.stage_model'},
        f'multiview-metapose-drop-inputs_ccat-mlp-{SUFFIX}': {'model.stage_model.drop_inputs'},
        f'multiview-metapose-gt-init_ccat-mlp-{SUFFIX}': {
            *(f'{loader}.dataset.{key}' for loader in loaders
              for key in ('mono3d_source', 'mono3d_file'))},
    }


@pytest.mark.parametrize('name', sorted(ABLATIONS), ids=lambda n: ABLATIONS[n][0])
def test_ablation_trains_one_epoch_on_the_sample(name, tmp_path):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    cfg = Config.fromfile(osp.join(FOLDER, TINY))
    cfg.merge_from_dict(_difference(_load(name), _load(DEFAULT)))
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 1
    cfg.train_dataloader.dataset.frame_step = 3  # kept short: 32 frames, one batch
    cfg.val_dataloader.dataset.frame_step = 8
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = runner.message_hub.log_scalars
    logged = {key.split('/', 1)[1] for key in scalars if key.startswith('train/loss_')}
    assert logged == ABLATIONS[name][1]
    assert all(np.isfinite(scalars[f'train/{key}'].current()) for key in logged)
    assert np.isfinite(scalars['val/multiview/pmpjpe'].current())
    model, dataset = runner.model, runner.train_dataloader.dataset
    stage = model.stages[0]
    if 'flat-mlp' in name:
        assert type(stage).__name__ == 'FlatStageModel'
        assert [layer.out_features for layer in stage.mlp][:4] == [512, 512, 512, 128]
    else:
        assert type(stage).__name__ == 'EquivariantStageModel'
    if 'drop-inputs' in name:
        assert stage.drop_inputs == ('pose', 'cams', 'heatmaps')
    if '-bl_' in name:  # the task ends with the 16 normalised ground-truth bone lengths
        task = dataset.get_data_info(0)['task']
        assert task.shape == (4 * 17 * 16 + 16, ) and np.isclose(task[-16:].mean(), 1.0)
    if 'gt-init' in name:  # stage 1 starts from the ground truth: its init is nearly exact
        info = [dataset.get_data_info(i) for i in range(len(dataset))]
        stack = lambda key: torch.from_numpy(np.stack([i[key] for i in info])).double()  # noqa
        init = solution_metrics(stack('init_pose'), stack('init_rot0'), stack('pose3d'),
                                stack('pose3d_cam0'))
        assert init['pmpjpe'].mean() < 15.0  # mm (weak perspective + distortion only)
