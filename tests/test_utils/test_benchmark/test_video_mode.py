"""Benchmark mode ``video``: both paths run on the same video; the windows
each lifts per output frame are counted (exact), times only reported."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from metapose_plugin.testing import tiny_pose2d_config
from metapose_plugin.utils.benchmark import video_mode
from metapose_plugin.utils.benchmark.runner import run_benchmark

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
VIDEO = osp.join(REPO, 'data', 'videos', 'demo.mp4')
CONFIGS = osp.join(REPO, 'configs')
FINEPOSE = osp.join(CONFIGS, 'finepose',
                    'finepose_tiny-mixste-27frm-cpn_clip_1xb4-1e_h36m-videopose3d-sample.py')
MPM = osp.join(CONFIGS, 'mpm', 'mpm-lift_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py')
CAPF_TINY = osp.join(CONFIGS, 'capf', 'capf_tiny-hrnet-cpn_1xb2-1e_h36m-256x192-sample.py')
MOTIONBERT = osp.join(CONFIGS, 'motionbert',
                      'motionbert_tiny-dstformer-27frm-cpn-ft_1xb8-1e_h36m-videopose3d-sample.py')


@pytest.fixture(autouse=True)
def tiny_2d(monkeypatch):
    """A tiny HRNet 2D model (the tiny CA-PF's stages) instead of W32."""
    monkeypatch.setattr(video_mode, 'sequence_pose2d_config', tiny_pose2d_config)
    with DefaultScope.overwrite_default_scope('mmpose'):
        yield


def _positive(results, keys):
    for key in keys:
        assert np.isfinite(results[key]) and results[key] > 0, key


def test_finepose_windows_per_frame_against_mmpose(tmp_path):
    torch.set_num_threads(1)
    report = run_benchmark(Config.fromfile(FINEPOSE), 'video', iters=2, video=VIDEO,
                           video_frames=27)
    results = report['results']
    assert results['frames'] == 27 and results['mmpose_frames'] == 2
    assert results['ours_windows_per_frame'] == pytest.approx(1 / 27)  # one window of 27
    assert results['mmpose_windows_per_frame'] == 1
    assert results['windows_per_frame_ratio'] == pytest.approx(27)
    _positive(results, ('ours_fps', 'ours_fps_per_cpu_s', 'ours_lifter_share', 'mmpose_fps',
                        'mmpose_lifter_share', 'fps_ratio', 'fps_per_cpu_s_ratio'))
    assert results['ours_lifter_share'] < 1 and results['mmpose_lifter_share'] < 1
    assert report['batch_size'] == 4  # the config's test batch


def test_sequence_to_frame_and_image_lifters():
    torch.set_num_threads(1)
    results, _ = video_mode.bench_video(Config.fromfile(MPM), batch_size=8, iters=1, video=VIDEO,
                                        video_frames=6)
    assert results['ours_windows_per_frame'] == 1 and results['windows_per_frame_ratio'] == 1
    results, notes = video_mode.bench_video(Config.fromfile(CAPF_TINY), iters=1, video=VIDEO)
    assert results['frames'] == 5 and 'mmpose_fps' not in results
    assert notes['batch_size'] == 1  # frame by frame
    assert "cannot lift image-context lifters" in notes['mmpose']
    _positive(results, ('ours_fps', 'ours_lifter_share', 'ours_windows_per_frame'))


def test_a_failing_mmpose_path_is_reported():
    """MMPose 1.3.2's Pose3DInferencer cannot encode MotionBERT windows (the
    codec's default factor (F,) meets its (1, K, 3) zero target)."""
    torch.set_num_threads(1)
    results, notes = video_mode.bench_video(Config.fromfile(MOTIONBERT), iters=1, video=VIDEO,
                                            video_frames=27)
    assert results['ours_windows_per_frame'] == pytest.approx(1 / 27)
    assert 'mmpose_fps' not in results and 'fps_ratio' not in results
    assert notes['mmpose'].startswith('MMPoseInferencer(pose3d=...) fails: ValueError')
    assert 'played forth and back to 27 frames' in notes['video']


def test_benchmark_video_is_played_forth_and_back(tmp_path):
    path = str(tmp_path / 'long.mp4')
    assert video_mode.write_benchmark_video(VIDEO, 12, path) == 12
    frames = video_mode.read_frames(path, 20)
    original = video_mode.read_frames(VIDEO, 5)
    assert len(frames) == 12
    # 0 1 2 3 4 3 2 1 0 1 2 3: frame 5 is frame 3 again, frame 8 frame 0
    for index, source in ((3, 3), (5, 3), (8, 0), (11, 3)):
        assert np.abs(frames[index].astype(int) - original[source]).mean() < 8
    assert np.abs(frames[5].astype(int) - original[4]).mean() > \
        np.abs(frames[5].astype(int) - original[3]).mean()
