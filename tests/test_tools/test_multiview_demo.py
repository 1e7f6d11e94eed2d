"""projects/metapose/demo/multiview_demo.py on views written from the shipped sample."""
import importlib.util
import json
import os.path as osp
import sys

import numpy as np
import pytest

from metapose_plugin.datasets.datasets.videopose3d_layout import read_videopose3d_3d
from metapose_plugin.structures.h36m_cameras import (h36m_camera_param, project_to_2d,
                                                     world_to_camera)

from ._tool_utils import REPO

DEMO = 'projects/metapose/demo/multiview_demo.py'


def _write_views(folder, frames=6, views=3, short_view=None):
    world = read_videopose3d_3d(osp.join(REPO, 'data/h36m_videopose3d_sample/data_3d_h36m.npz'))
    joints = world['S9']['Walking'][:frames]
    rng = np.random.default_rng(0)
    for view in range(views):
        cam = h36m_camera_param('S9', view)
        cam_frame = world_to_camera(joints, cam)
        keypoints = project_to_2d(cam_frame, cam) + rng.normal(0, 2, (frames, 17, 2))
        mono = cam_frame + rng.normal(0, 0.04, cam_frame.shape)
        length = frames - 1 if view == short_view else frames
        np.savez(osp.join(folder, f'view_{view}.npz'), keypoints=keypoints[:length],
                 mono3d=mono[:length], scores=np.full((length, 17), 0.9))


def _demo():
    spec = importlib.util.spec_from_file_location('multiview_demo', osp.join(REPO, DEMO))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(folder, out, monkeypatch):
    monkeypatch.setattr(sys, 'argv', [DEMO, str(folder), '--out-dir', str(out)])
    _demo().main()


def test_demo_writes_json_and_plot(tmp_path, monkeypatch):
    _write_views(tmp_path)
    _run(tmp_path, tmp_path / 'out', monkeypatch)
    with open(tmp_path / 'out' / 'multiview_metapose.json') as file:
        result = json.load(file)
    assert len(result['frames']) == 6 and len(result['frames'][0]['views']) == 3
    assert np.asarray(result['frames'][0]['pose']).shape == (17, 3)
    rot = np.asarray(result['frames'][0]['views'][0]['rotation'])
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-4)
    assert (tmp_path / 'out' / 'pose3d_frame0.png').is_file()


def test_demo_names_the_bad_view(tmp_path, monkeypatch, capsys):
    _write_views(tmp_path, short_view=2)
    with pytest.raises(SystemExit):
        _run(tmp_path, tmp_path / 'out', monkeypatch)
    assert 'different frame counts [6, 6, 5]' in capsys.readouterr().err
    _write_views(tmp_path, views=1)
    for extra in ('view_1.npz', 'view_2.npz'):
        (tmp_path / extra).unlink()
    with pytest.raises(ValueError, match='1 view'):
        _demo().read_views(str(tmp_path))


def test_dlt_baseline_scores_the_dataset_with_the_solver_metrics():
    from metapose_plugin.datasets.datasets.h36m_multiview_dataset import H36MMultiViewDataset
    spec = importlib.util.spec_from_file_location(
        'dlt', osp.join(REPO, 'projects/metapose/demo/multiview_dlt_baseline.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dataset = H36MMultiViewDataset(
        ann_file='data_3d_h36m.npz', keypoint_2d_file='data_2d_h36m_gt.npz',
        data_root=osp.join(REPO, 'data/h36m_videopose3d_sample'), subjects=['S9'],
        frame_step=4, mono3d_source='oracle_noisy_gt',
        stage1=dict(type='MultiViewMetaPoseS1Solver', opt_steps=2, report_n_results=2))
    metrics = module.dlt_metrics(dataset)
    # ground-truth 2D and true cameras: only lens distortion separates DLT from the truth
    assert metrics['pmpjpe'] < 5 and metrics['nmpjpe'] < 10 and metrics['pck150'] == 100


def test_flat_solution_is_refused(tmp_path, monkeypatch, capsys):
    """Keypoint files without monocular 3D: stage 1 leaves every joint at the
    depth of its zero-depth start; the demo used to exit 0 with z = 0."""
    _write_views(tmp_path)
    for view in range(3):
        path = tmp_path / f'view_{view}.npz'
        data = dict(np.load(path))
        del data['mono3d']
        np.savez(path, **data)
    with pytest.raises(SystemExit) as info:
        _run(tmp_path, tmp_path / 'out', monkeypatch)
    assert info.value.code != 0
    assert 'refused, the solution is degenerate (every joint at the same depth: no view has ' \
        'a monocular 3D estimate' in str(info.value.code)
    assert not (tmp_path / 'out' / 'multiview_metapose.json').exists()


def test_flat_frames_are_found():
    rng = np.random.default_rng(0)
    poses = rng.normal(size=(3, 17, 3))
    poses[1, :, 2] = 0.25
    assert _demo().flat_frames(poses).tolist() == [False, True, False]


def test_unreadable_keypoint_file_is_named(tmp_path, monkeypatch, capsys):
    _write_views(tmp_path)
    path = tmp_path / 'view_1.npz'
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(SystemExit):
        _run(tmp_path, tmp_path / 'out', monkeypatch)
    assert f'{path}: cannot be read as a keypoint npz' in capsys.readouterr().err
