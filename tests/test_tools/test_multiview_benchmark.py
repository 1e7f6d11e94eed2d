"""Benchmark mode ``stage1`` (multi-view MetaPose), on a few frames."""
import torch
from mmengine.config import Config

from metapose_plugin.utils.benchmark.multiview_mode import bench_stage1


def test_stage1_mode_reports_batched_and_per_frame_rates():
    torch.set_num_threads(1)
    cfg = Config(dict(stage1=dict(type='MultiViewMetaPoseS1Solver', opt_steps=5,
                                  report_n_results=3)))
    results, notes = bench_stage1(cfg, batch_size=6, iters=1, per_frame_frames=2)
    assert set(results) == {'stage1_batched_frames_per_s', 'stage1_per_frame_frames_per_s',
                            'stage1_batched_speedup', 'stage1_speedup_vs_reference'}
    assert all(value > 0 for value in results.values())
    ratio = results['stage1_batched_frames_per_s'] / results['stage1_per_frame_frames_per_s']
    assert abs(results['stage1_batched_speedup'] - ratio) < 1e-9 * ratio
    assert notes['batch_size'] == 6 and '5 Keras-Adam steps' in notes['stage1']
