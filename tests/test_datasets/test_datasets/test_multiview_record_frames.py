"""H36MMultiViewDataset on the reference's record folders (pre and opt splits).

The records hold the shared fixture's three frames (tests/data/multiview_metapose_records);
the fixture's stage-1 and stage-2 outputs of the TensorFlow reference are the targets.
"""
import os.path as osp

import numpy as np
import pytest
import torch

from metapose_plugin.datasets.datasets.h36m_multiview_dataset import H36MMultiViewDataset
from metapose_plugin.datasets.datasets.multiview_record_frames import frame_from_record
from metapose_plugin.datasets.datasets.multiview_record_layout import read_records
from metapose_plugin.evaluation.functional.multiview_metrics import solution_metrics
from metapose_plugin.testing.fixtures import shared_fixture_dir

RECORDS = osp.join(osp.dirname(__file__), '..', '..', 'data', 'multiview_metapose_records')
REFERENCE_STAGE1 = dict(type='MultiViewMetaPoseS1Solver', init_with_view0=False,
                        proper_init=False, report_mode='reference')


@pytest.fixture(scope='module')
def reference():
    return np.load(shared_fixture_dir('multiview_metapose') / 'metapose_ref.npz')


def _stack(dataset, key):
    return torch.from_numpy(np.stack([dataset.get_data_info(i)[key]
                                      for i in range(len(dataset))])).double()


def _centred(points):
    return points - points.mean(-2, keepdims=True)


def test_opt_records_give_the_reference_stage2_problem(reference):
    """x_init, task, x_best and targets of the reference's convert_opt_record_to_task."""
    dataset = H36MMultiViewDataset(ann_file=osp.join(RECORDS, 'opt'))
    assert len(dataset) == 3 and dataset.ann_format == 'metapose_records'
    # the records keep float32 precision of the reference's float64 fields
    for ours, theirs in (('x_init', 'x_init'), ('x_best', 'x_best'), ('task', 'task_vec'),
                         ('pose2d', 'y_fwd')):
        np.testing.assert_allclose(_stack(dataset, ours).numpy(), reference[f's2/{theirs}'],
                                   rtol=0, atol=2e-7, err_msg=ours)
    np.testing.assert_allclose(_stack(dataset, 'pose3d').numpy(), reference['s2/y_pred'],
                               rtol=1e-6, atol=0)
    np.testing.assert_allclose(_centred(_stack(dataset, 'pose3d_cam0').numpy()),
                               _centred(reference['s2/y_pred_cam0']), rtol=0, atol=1e-3)
    final = solution_metrics(_stack(dataset, 's1_pose'), _stack(dataset, 's1_rot0'),
                             _stack(dataset, 'pose3d'), _stack(dataset, 'pose3d_cam0'))
    expected = [reference[f'rec{i}/s1/pose3d_pred_pmpjpe'][-1] for i in range(3)]
    np.testing.assert_allclose(final['pmpjpe'].numpy(), expected, rtol=0, atol=1e-3)
    # the mixture means in pixels, for the baselines
    info = dataset.get_data_info(1)
    np.testing.assert_allclose(info['keypoints_2d'], reference['rec1/in/pose2d_pred'], atol=1e-3)
    assert info['sequence'] == 2 and info['frame'] == 15 and info['keys'][3].endswith('c03')


def test_pre_records_solve_stage1_as_the_reference(reference):
    dataset = H36MMultiViewDataset(ann_file=osp.join(RECORDS, 'pre'), stage1=REFERENCE_STAGE1)
    final = solution_metrics(_stack(dataset, 's1_pose'), _stack(dataset, 's1_rot0'),
                             _stack(dataset, 'pose3d'), _stack(dataset, 'pose3d_cam0'))
    expected = [reference[f'rec{i}/s1/pose3d_pred_pmpjpe'][-1] for i in range(3)]
    np.testing.assert_allclose(final['pmpjpe'].numpy(), expected, rtol=0, atol=0.01)  # mm
    np.testing.assert_allclose(_stack(dataset, 'x_init').numpy(), reference['s2/x_init'],
                               rtol=0, atol=1e-5)


def test_gt_init_is_the_reference_perfect_estimate(reference):
    dataset = H36MMultiViewDataset(ann_file=osp.join(RECORDS, 'pre'), camera_subset=(2, 0, 3),
                                   mono3d_source='gt_weak_projection', stage1=REFERENCE_STAGE1)
    info = dataset.get_data_info(2)
    assert info['camera_subset'] == (2, 0, 3) and info['keys'][0].endswith('c02')
    np.testing.assert_allclose(info['mono3d'], reference['rec2/in/perfect_epi_init'][[2, 0, 3]],
                               rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match='gt_weak_projection'):
        H36MMultiViewDataset(ann_file=osp.join(RECORDS, 'opt'),
                             mono3d_source='gt_weak_projection')


def test_bad_records_and_options_name_the_record_and_field():
    opt = read_records(osp.join(RECORDS, 'opt'))
    with pytest.raises(ValueError, match=r'opt record 0: field cam_subset is \[0, 1, 2, 3\]'):
        frame_from_record(opt[0], (0, 1), 'opt record 0')
    pre = read_records(osp.join(RECORDS, 'pre'))
    with pytest.raises(ValueError, match='has 4 cameras'):
        frame_from_record(pre[0], (0, 4), 'pre record 0')
    broken = dict(pre[1], heatmaps=pre[1]['heatmaps'].copy())
    broken['heatmaps'][3, 5, 1, 3] = 0.0
    with pytest.raises(ValueError, match='pre record 1: view 3 .* variance must be > 0'):
        frame_from_record(broken, (0, 1, 2, 3), 'pre record 1')
    del broken['keys']
    with pytest.raises(ValueError, match=r"pre record 1: fields \['keys'\] are missing"):
        frame_from_record(broken, (0, 1, 2, 3), 'pre record 1')
    in_metres = dict(pre[0], pose3d=pre[0]['pose3d'] / 1000, cam_pose3d=pre[0]['cam_pose3d'] / 1000)
    np.testing.assert_allclose(frame_from_record(in_metres, (0, 1), 'm')['pose3d'],
                               frame_from_record(pre[0], (0, 1), 'mm')['pose3d'], rtol=1e-9)
    with pytest.raises(ValueError, match='mono3d_source must be one of'):
        H36MMultiViewDataset(ann_file=osp.join(RECORDS, 'pre'), mono3d_source='file')
    with pytest.raises(ValueError, match='Human3.6M layouts only'):
        H36MMultiViewDataset(ann_file=osp.join(RECORDS, 'pre'), subjects=['S9'])
