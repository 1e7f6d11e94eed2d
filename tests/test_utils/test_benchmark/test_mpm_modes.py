import os.path as osp

import torch
from mmengine.config import Config

from metapose_plugin.utils.benchmark.mpm_modes import bench_lift, bench_pretrain, fake_windows

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
PRETRAIN = 'mpm-pretrain_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py'
LIFT = 'mpm-lift_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py'


def load(name):
    return Config.fromfile(osp.join(ROOT, 'configs', 'mpm', name))


def test_fake_windows_follow_the_mask_settings():
    data = fake_windows(load(PRETRAIN), 3)
    assert len(data['inputs']) == 3 and data['inputs'][0].shape == (27, 17, 2)
    meta = data['data_samples'][0].metainfo
    assert (meta['mpm_joint_mask_2d'].sum(1) == 5).all()
    assert meta['mpm_frame_mask_3d'].sum() == int(27 * 0.6)


def test_pretrain_reports_the_reference_work_and_the_default():
    """The reference's -b 4 holds about 2 2D-only and 2 3D-only items: both
    lines run 2 windows (a 2D and a 3D sequence each); the reference's work
    puts every frame through the per-frame layers, the default (this config)
    the kept frames only."""
    torch.set_num_threads(1)
    cfg = load(PRETRAIN)
    assert not cfg.model.backbone.encode_masked_frames
    results, notes = bench_pretrain(cfg, batch_size=4, iters=1)
    assert notes['batch_size'] == 4 and 'C=32' in notes['pretrain']
    assert results['sequences_2d'] == results['sequences_3d'] == 2
    frames, kept = 27, 27 - int(27 * 0.6)  # 60 % of the frames masked
    assert results['reference_work_frames'] == 2 * 2 * frames
    assert results['default_frames'] == 2 * 2 * kept
    for line in ('reference_work', 'default'):
        assert results[f'{line}_step_ms'] > 0
        assert results[f'{line}_process_peak_mib'] >= results[f'{line}_growth_mib'] >= 0


def test_lift_mode_reports_forward_and_training():
    torch.set_num_threads(1)
    results, notes = bench_lift(load(LIFT), batch_size=4, iters=1)
    assert results['forward_ms'] > 0 and 'train_step_ms' in results
    assert results['train_process_peak_mem_mib'] >= results['train_peak_mem_mib']
