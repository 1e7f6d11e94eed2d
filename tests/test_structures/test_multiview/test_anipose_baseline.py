"""The AniPose baseline against the reference's launch_anipose outputs.

``anipose_ref.npz`` (tests/data/multiview_metapose_records) holds the reference's
results on the ``pre`` records (see the README there); its ground-truth-2D cases
converge in a few bundle-adjustment rounds, so they are the ones run here.
"""
import importlib.util
import os.path as osp
import sys

import numpy as np
import pytest

from metapose_plugin.datasets.datasets.h36m_multiview_dataset import H36MMultiViewDataset
from metapose_plugin.structures.multiview.anipose_baseline import (anipose_bundle_adjust,
                                                                   anipose_camera_params)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
RECORDS = osp.join(REPO, 'tests', 'data', 'multiview_metapose_records')
TOOL = osp.join(REPO, 'projects', 'metapose', 'demo', 'multiview_anipose_baseline.py')


def _tool():
    spec = importlib.util.spec_from_file_location('multiview_anipose_baseline', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def reference():
    return np.load(osp.join(RECORDS, 'anipose_ref.npz'))


@pytest.fixture(scope='module')
def three_views():
    dataset = H36MMultiViewDataset(
        ann_file=osp.join(RECORDS, 'pre'), camera_subset=(0, 1, 2),
        stage1=dict(type='MultiViewMetaPoseS1Solver', opt_steps=2, report_n_results=2))
    return [dataset.get_data_info(index) for index in range(len(dataset))]


def test_points_and_cameras_are_the_reference_inputs(three_views):
    tool = _tool()
    decoded = np.load(osp.join(RECORDS, 'decoded.npz'))
    for index, frame in enumerate(three_views):
        # the mixture means are the records' pose2d_pred (both stored as float32);
        # the ground truth their pose2d_repr
        np.testing.assert_allclose(tool.frame_points(frame),
                                   decoded[f'pre/{index}/pose2d_pred'][:3], rtol=0, atol=1e-4)
        np.testing.assert_allclose(tool.frame_points(frame, gt_2d=True),
                                   decoded[f'pre/{index}/pose2d_repr'][:3], rtol=0, atol=1e-6)
    frame = three_views[0]
    params = anipose_camera_params(np.swapaxes(frame['cam_rotations'], 1, 2),
                                   frame['cam_centres'], frame['cam_intrinsics'])
    assert params.shape == (3, 8) and (params[:, 7] == 0).all()
    np.testing.assert_allclose(params[:, 6], decoded['pre/0/cam_intr'][:3, :2].mean(-1))


def test_bundle_adjustment_gives_the_reference_results(three_views, reference):
    tool = _tool()
    state = tool.run_anipose(three_views[2:], gt_2d=True)
    tag = 'cams012_gt2d/2'
    np.testing.assert_allclose(state['pose_cam0'][0], reference[f'{tag}/pose3d_pred_cam0'],
                               rtol=0, atol=1e-6)  # mm
    np.testing.assert_allclose(state['params'][0], reference[f'{tag}/ani_params_pred'],
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(state['error'][0], reference[f'{tag}/ba_pmpje_nmpje_pck_errs'][0],
                               rtol=1e-6)
    _, pmpjpe, nmpjpe, pck = reference[f'{tag}/ba_pmpje_nmpje_pck_errs']
    metrics = tool.anipose_metrics(three_views[2:], state)
    np.testing.assert_allclose([metrics['pmpjpe_ref'], metrics['nmpjpe'], metrics['pck150']],
                               [pmpjpe, nmpjpe, pck], rtol=0, atol=1e-4)
    assert metrics['V3/nmpjpe'] == metrics['nmpjpe']


def test_four_views_in_record_units(reference):
    decoded = np.load(osp.join(RECORDS, 'decoded.npz'))
    rec = {name: decoded[f'pre/2/{name}'] for name in
           ('pose2d_repr', 'cam_rot', 'cam_pose3d', 'cam_intr')}
    out = anipose_bundle_adjust(rec['pose2d_repr'], rec['cam_rot'], rec['cam_pose3d'],
                                rec['cam_intr'])
    np.testing.assert_allclose(out['pose_cam0'], reference['cams0123_gt2d/2/pose3d_pred_cam0'],
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(out['params'], reference['cams0123_gt2d/2/ani_params_pred'],
                               rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match='non-finite'):
        anipose_bundle_adjust(rec['pose2d_repr'] * np.nan, rec['cam_rot'], rec['cam_pose3d'],
                              rec['cam_intr'])


def test_a_stopped_run_resumes(three_views, tmp_path, monkeypatch):
    tool = _tool()
    out = str(tmp_path / 'anipose.npz')
    first = tool.run_anipose(three_views[2:], gt_2d=True, out=out, settings='a', save_every=1)
    with np.load(out) as saved:
        assert saved['done'].all()
        np.testing.assert_array_equal(saved['pose_cam0'], first['pose_cam0'])
    calls = []
    monkeypatch.setattr(tool, 'anipose_bundle_adjust', lambda *a: calls.append(a))
    again = tool.run_anipose(three_views[2:], gt_2d=True, out=out, settings='a')
    assert not calls  # nothing left to do
    np.testing.assert_array_equal(again['pose_cam0'], first['pose_cam0'])
    with pytest.raises(TypeError):  # other settings start again (and call the solver)
        tool.run_anipose(three_views[2:], gt_2d=True, out=out, settings='b')
    assert len(calls) == 1


def test_missing_aniposelib_names_the_extra(monkeypatch, three_views):
    monkeypatch.setitem(sys.modules, 'aniposelib.cameras', None)
    frame = three_views[0]
    with pytest.raises(ImportError, match=r'metapose-plugin\[anipose\]'):
        anipose_bundle_adjust(frame['keypoints_2d'], np.swapaxes(frame['cam_rotations'], 1, 2),
                              frame['cam_centres'], frame['cam_intrinsics'])
