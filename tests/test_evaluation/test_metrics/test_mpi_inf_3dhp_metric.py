"""MPIINF3DHPMetric gives the numbers of the evaluation tool (and so of the
MATLAB scripts) on the same predictions."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from metapose_plugin.datasets.datasets.mpi_inf_3dhp_mat_layout import (find_test_sequences,
                                                                       load_annot_data,
                                                                       load_predictions)
from metapose_plugin.evaluation import MPIINF3DHPMetric
from metapose_plugin.evaluation.functional.mpi_inf_3dhp_file_eval import evaluate_prediction_file
from metapose_plugin.structures.mpi_inf_3dhp_joints import H36M_FROM_MPI_INF_3DHP
from metapose_plugin.testing.fixtures import shared_fixture_dir

FIXTURE = shared_fixture_dir('3dhp_metric')
needs_fixture = pytest.mark.shared_fixture(FIXTURE / 'results.json', FIXTURE / 'inputs')


def _samples(layout, step=0, joint_order=None, window=1):
    """Data samples of every predicted frame of the fixture, in metres, in
    windows of ``window`` consecutive target frames."""
    inputs = FIXTURE / 'inputs'
    sequences = find_test_sequences(str(inputs))
    name = 'inference_data.mat' if layout == 'pstmo' else \
        'inference_data_J_Agg.mat'
    preds = load_predictions(str(inputs / name), layout, sequences)
    skeleton = 'univ_annot3' if layout == 'pstmo' else 'annot3'
    samples = []
    for sequence in sequences:
        annot = load_annot_data(str(inputs / sequence / 'annot_data.mat'))
        frame_ids = np.arange(len(annot['valid']))
        if layout == 'pstmo':
            frame_ids = frame_ids[annot['valid']]
            pred = preds[sequence]
        else:
            pred = preds[sequence][step]
        gt = annot[skeleton][frame_ids]
        if joint_order is not None:
            pred, gt = pred[:, joint_order], gt[:, joint_order]
        for start in range(0, len(frame_ids), window):
            ids = frame_ids[start:start + window]
            samples.append(
                dict(sequence=sequence,
                     target_frame_ids=ids,
                     target_valid=annot['valid'][ids],
                     target_activity=annot['activity'][ids],
                     sequence_num_frames=len(annot['valid']),
                     pred_instances=dict(keypoints=torch.from_numpy(
                         pred[start:start + window, None].astype(np.float64)
                         / 1000.0).permute(1, 0, 2, 3)),
                     gt_instances=dict(
                         lifting_target=gt[start:start + window] / 1000.0)))
    return samples


def _compare(expected, actual, path=()):
    if isinstance(expected, dict):
        for key, value in expected.items():
            _compare(value, actual[key], path + (key, ))
    elif isinstance(expected, list):
        for i, (e, a) in enumerate(zip(expected, actual)):
            _compare(e, a, path + (i, ))
    elif isinstance(expected, str) or expected is None:
        assert expected == actual, path
    else:
        tolerance = 1e-5 if any('mpjpe' in str(p) for p in path) else 1e-9
        assert abs(expected - actual) <= tolerance, (path, expected, actual)


@needs_fixture
@pytest.mark.parametrize('layout,step,window', [('pstmo', 0, 1),
                                                ('finepose', 1, 7)])
def test_metric_equals_tool(tmp_path, layout, step, window):
    inputs = FIXTURE / 'inputs'
    name = 'inference_data.mat' if layout == 'pstmo' else \
        'inference_data_J_Agg.mat'
    tool = list(
        evaluate_prediction_file(str(inputs), str(inputs / name),
                                 layout).values())[step]
    skeleton = tool['skeleton']
    prefix = str(tmp_path / 'pred')
    metric = MPIINF3DHPMetric(skeleton=skeleton, outfile_prefix=prefix,
                              pred_layout=layout)
    samples = _samples(layout, step, window=window)
    # two batches, a window repeated (as overlapping windows do)
    metric.process({}, samples[:len(samples) // 2])
    metric.process({}, samples[len(samples) // 2 - 1:])
    metrics = metric.evaluate(len(samples) + 1)

    derived = tool['derived']
    assert metrics['PCK'] == pytest.approx(derived['pck']['all_row'],
                                           abs=1e-9)
    assert metrics['AUC'] == pytest.approx(derived['auc']['all_row'],
                                           abs=1e-9)
    assert metrics['MPJPE'] == pytest.approx(derived['mpjpe']['all_row'],
                                             abs=1e-5)
    assert metrics['PCK/readme_weighted_seq_mean'] == pytest.approx(
        derived['pck']['readme_weighted_seq_mean'], abs=1e-9)
    assert metrics['AUC/TestSeq3'] == pytest.approx(
        tool['sequencewise']['TestSeq3']['auc']['Total'], abs=1e-9)
    assert metrics['MPJPE/Standing-Walking'] == pytest.approx(
        tool['activitywise']['Standing/Walking']['mpjpe'], abs=1e-5)
    # every cell, as the tool's --json writes them
    _compare(tool, json.loads((tmp_path / 'pred.json').read_text()))
    # the written predictions evaluate to the same tables
    again = evaluate_prediction_file(str(inputs), prefix + '.mat', layout)
    _compare(tool, list(again.values())[0])


@needs_fixture
def test_h36m_order_is_mapped_back():
    order = list(H36M_FROM_MPI_INF_3DHP)
    samples = _samples('pstmo', window=5)
    expected = MPIINF3DHPMetric()
    expected.process({}, samples)
    reference = expected.evaluate(len(samples))
    metric = MPIINF3DHPMetric(joint_order='h36m')
    metric.process({}, _samples('pstmo', joint_order=order, window=5))
    assert metric.evaluate(len(samples)) == pytest.approx(reference,
                                                          abs=1e-12)
    assert len(reference) > 40


def test_invalid_frames_and_bad_input():
    rng = np.random.RandomState(0)
    gt = rng.uniform(-0.5, 0.5, (4, 17, 3)) + [0, 0, 4]
    pred = gt - gt[:, 14:15]
    pred[1] += 5.0  # an invalid frame with a wrong prediction
    sample = dict(sequence='TS1', target_frame_ids=np.arange(4),
                  target_valid=np.array([1, 0, 1, 1]),
                  target_activity=np.array([1, 1, 3, 3]),
                  pred_instances=dict(keypoints=pred[None]),
                  gt_instances=dict(lifting_target=gt))
    metric = MPIINF3DHPMetric()
    metric.process({}, [sample])
    metrics = metric.evaluate(1)
    assert metrics['MPJPE'] == pytest.approx(0.0, abs=1e-9)
    assert metrics['PCK'] == pytest.approx(100.0)
    assert metrics['PCK/Sitting'] == pytest.approx(100.0)
    assert 'PCK/Exercising' not in metrics  # no frame of that activity
    with pytest.raises(ValueError, match='target_valid'):
        MPIINF3DHPMetric().process({}, [dict(sample, target_valid=[1])])
    with pytest.raises(ValueError, match='no \'sequence\''):
        bad = dict(sample)
        del bad['sequence']
        MPIINF3DHPMetric().process({}, [bad])


def test_inside_mmengine_equals_the_tool(tmp_path):
    """A Runner test pass (VideoPose3D's TCN, random weights, 3DHP order)
    on the shipped sample: the metric's numbers are the tool's on the
    ``.mat`` the metric wrote, and every valid test frame is scored."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    repo = osp.dirname(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    sample = osp.join(repo, 'data', 'mpi_inf_3dhp_sample')
    config = tmp_path / 'config.py'
    config.write_text(f'''
_base_ = ['mmpose::body_3d_keypoint/video_pose_lift/h36m/'
          'video-pose-lift_tcn-27frm-supv_8xb128-160e_h36m.py',
          '{repo}/configs/_base_/datasets/mpi_inf_3dhp_sequence.py']
custom_imports = dict(imports=['metapose_plugin'], allow_failed_imports=False)
codec = dict(type='VideoPoseLifting', num_keypoints=17, zero_center=True,
             root_index=14, remove_root=False)
model = dict(backbone=dict(kernel_sizes=(3, 3), num_blocks=1,
                           stem_channels=16),
             head=dict(in_channels=16, decoder=codec))
test_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='MPIINF3DHPSequenceDataset',
                 data_root='{sample}', ann_file='data_test_3dhp.npz',
                 seq_len=9, test_mode=True, annot_root='.',
                 pipeline=[dict(type='GenerateTarget', encoder=codec),
                           dict(type='PackPoseInputs',
                                meta_keys={{{{_base_.mpi_inf_3dhp_meta_keys}}}})]))
''')
    cfg = Config.fromfile(str(config))
    cfg.test_evaluator = dict(cfg.mpi_inf_3dhp_evaluator,
                              outfile_prefix=str(tmp_path / 'inference_data'))
    cfg.work_dir = str(tmp_path / 'work')
    torch.manual_seed(0)
    metrics = Runner.from_cfg(cfg).test()
    tool = evaluate_prediction_file(sample,
                                    str(tmp_path / 'inference_data.mat'),
                                    'pstmo')['pstmo_univ_annot3']
    n_valid = [int(load_annot_data(osp.join(sample, s, 'annot_data.mat'))
                   ['valid'].sum()) for s in find_test_sequences(sample)]
    assert tool['n_valid'] == n_valid
    assert metrics['MPJPE'] > 0
    for key, metric in (('PCK', 'pck'), ('AUC', 'auc'), ('MPJPE', 'mpjpe')):
        tolerance = 1e-5 if key == 'MPJPE' else 1e-9
        assert metrics[key] == pytest.approx(
            tool['derived'][metric]['all_row'], abs=tolerance)
        assert metrics[f'{key}/readme_weighted_seq_mean'] == pytest.approx(
            tool['derived'][metric]['readme_weighted_seq_mean'],
            abs=tolerance)


@needs_fixture
def test_mpm16_variant():
    """MPM's 16 joints: the scripts' arithmetic over the 13 joints left of
    the PCK set (no neck; pelvis, spine, head excluded) and MPJPE over 16."""
    from metapose_plugin.structures.mpi_inf_3dhp_joints import to_joint_order
    samples = _samples('pstmo', window=4)
    errors = []
    for sample in samples:
        for field, key in (('pred_instances', 'keypoints'),
                           ('gt_instances', 'lifting_target')):
            value = np.asarray(sample[field][key], dtype=np.float64)
            sample[field][key] = to_joint_order(value, 'mpm16')
        gt = np.asarray(sample['gt_instances']['lifting_target'])
        pred = np.asarray(sample['pred_instances']['keypoints'])[0]
        errors.append(1000 * np.linalg.norm(
            pred - (gt - gt[:, :1]), axis=-1))
    errors = np.concatenate(errors)
    metric = MPIINF3DHPMetric(joint_order='mpm16')
    metric.process({}, samples)
    metrics = metric.evaluate(len(samples))
    pck_joints = [1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15]
    assert metrics['PCK'] == pytest.approx(
        100 * (errors[:, pck_joints] < 150).mean(), abs=1e-9)
    assert metrics['MPJPE'] == pytest.approx(errors.mean(), abs=1e-9)
    with pytest.raises(ValueError, match='17 joints'):
        MPIINF3DHPMetric(joint_order='mpm16', outfile_prefix='x')


def test_non_finite_predictions_are_refused_or_misses():
    """A NaN joint of a valid frame: an error naming the sample and frame, or
    with nonfinite='miss' a miss for PCK and AUC and an infinite MPJPE (the
    three count the same joints); a NaN in an invalid frame is never read."""
    rng = np.random.RandomState(0)
    gt = rng.uniform(-0.5, 0.5, (4, 17, 3)) + [0, 0, 4]
    pred = gt - gt[:, 14:15]
    sample = dict(sequence='TS2', target_frame_ids=np.arange(10, 14),
                  target_valid=np.array([1, 0, 1, 1]), target_activity=np.array([1, 1, 3, 3]),
                  gt_instances=dict(lifting_target=gt))
    invalid_nan = pred.copy()
    invalid_nan[1, 5] = np.nan
    metric = MPIINF3DHPMetric()
    metric.process({}, [dict(sample, pred_instances=dict(keypoints=invalid_nan[None]))])
    assert metric.evaluate(1)['PCK'] == pytest.approx(100.0)
    valid_nan = pred.copy()
    valid_nan[2, 3] = np.nan
    with pytest.raises(ValueError, match=r"data sample 0 \(sequence TS2\) is not finite \(NaN "
                       r"or inf\) at frames \[12\], joints \[3\].*nonfinite='miss'"):
        MPIINF3DHPMetric().process({}, [dict(sample, pred_instances=dict(
            keypoints=valid_nan[None]))])
    metric = MPIINF3DHPMetric(nonfinite='miss')
    metric.process({}, [dict(sample, pred_instances=dict(keypoints=valid_nan[None]))])
    metrics = metric.evaluate(1)
    # joint 3 (right elbow) of 1 of the 3 valid frames: 1 miss in 42 PCK joints
    assert metrics['PCK'] == pytest.approx(100.0 * 41 / 42)
    assert metrics['AUC'] < 100.0 and metrics['MPJPE'] == np.inf
    with pytest.raises(ValueError, match='nonfinite must be one of'):
        MPIINF3DHPMetric(nonfinite='skip')
