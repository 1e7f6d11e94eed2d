"""Benchmark mode ``stage1`` (multi-view MetaPose), on a few frames."""
import torch
from mmengine.config import Config

from metapose_plugin.utils.benchmark.multiview_mode import bench_stage1, stage1_outputs_agree


def test_stage1_sides_do_equal_work_with_agreeing_reports():
    torch.set_num_threads(1)
    cfg = Config(dict(stage1=dict(type='MultiViewMetaPoseS1Solver', opt_steps=5,
                                  report_n_results=3)))
    results, notes = bench_stage1(cfg, batch_size=6, iters=2)
    # 6 frames x 4 views x 5 steps on each side, per round
    assert results['stage1_work_batched'] == results['stage1_work_per_frame'] == 6 * 4 * 5
    assert results['stage1_frames'] == 6
    assert results['stage1_batched_frames_per_s'] > 0
    assert results['stage1_per_frame_reference_settings_frames_per_s'] > 0
    assert notes['batch_size'] == 6 and '5 Keras-Adam steps' in notes['stage1']
    assert "'report_mode': 'reference'" in notes['stage1']
    assert 'measured in this run' in notes['baseline']


def test_reports_that_differ_beyond_the_trajectory_tolerance_are_caught():
    gen = torch.Generator().manual_seed(0)
    frames = [{name: torch.randn(3, 1, 4, generator=gen) for name in
               ('loss', 'pose', 'rot', 'scale', 'shift')} for _ in range(2)]
    batched = {name: torch.cat([f[name] for f in frames], dim=1) for name in frames[0]}
    assert stage1_outputs_agree(batched, frames) == 0
    frames[1]['pose'][-1, 0, 0] += 1e-3  # 1e-4 relative at |pose| < 4: a few times over
    assert stage1_outputs_agree(batched, frames) > 1
