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


def test_pretrain_and_lift_modes_report_positive_numbers():
    torch.set_num_threads(1)
    results, notes = bench_pretrain(load(PRETRAIN), batch_size=4, iters=1)
    assert notes['batch_size'] == 4 and 'C=32' in notes['pretrain']
    assert set(results) == {'train_step_ms', 'train_samples_per_s', 'train_peak_mem_mib',
                            'train_peak_mem_per_sample_mib'}
    assert results['train_step_ms'] > 0 and results['train_samples_per_s'] > 0
    results, notes = bench_lift(load(LIFT), batch_size=4, iters=1)
    assert results['forward_ms'] > 0 and 'train_step_ms' in results
