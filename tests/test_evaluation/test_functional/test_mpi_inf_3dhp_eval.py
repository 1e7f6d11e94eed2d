"""The 3DHP metric functions: definitions on hand-made errors, and the
per-joint errors of the fixture's Octave run."""
import numpy as np
import pytest
import scipy.io

from metapose_plugin.datasets.datasets.mpi_inf_3dhp_mat_layout import (
    find_test_sequences, load_annot_data, load_predictions)
from metapose_plugin.evaluation.functional.mpi_inf_3dhp_eval import (
    aggregate_sequences, evaluate_sequences, joint_errors, pck_auc_row,
    root_relative, table_row)
from metapose_plugin.testing.fixtures import shared_fixture_dir

FIXTURE = shared_fixture_dir('3dhp_metric')
needs_fixture = pytest.mark.shared_fixture(FIXTURE / 'results.json', FIXTURE / 'inputs')


def test_constant_error_pck_auc_mpjpe():
    # 7 mm everywhere: below 150 and below 29 of the 31 thresholds
    # (10, 15, ..., 150); MPJPE 7 for every joint
    row = table_row(np.full((5, 17), 7.0))
    assert row['pck']['Total'] == pytest.approx(100.0, abs=1e-12)
    assert row['auc']['Head'] == pytest.approx(100.0 * 29 / 31, abs=1e-12)
    assert row['auc']['Total'] == pytest.approx(100.0 * 29 / 31, abs=1e-12)
    assert row['mpjpe_per_joint'] == pytest.approx([7.0] * 17, abs=1e-12)
    assert row['mpjpe'] == pytest.approx(7.0, abs=1e-12)


def test_strict_threshold_and_groups():
    errors = np.zeros((4, 17))
    errors[:, 4] = 150.0  # r_wrist exactly at the threshold: not correct
    errors[0, 7] = 149.0  # l_wrist once just below
    errors[:, 14:] = 1e4  # pelvis, spine, head: not in PCK/AUC
    pck, auc = pck_auc_row(errors)
    assert pck['Wrist'] == pytest.approx(100.0 * 4 / 8)
    assert pck['Head'] == pck['Ankle'] == pytest.approx(100.0)
    # Total pools the 14 joints: 4 wrong out of 56
    assert pck['Total'] == pytest.approx(100.0 * 52 / 56)
    # an error of 0 is never below t=0: at most 30/31 of the thresholds
    assert auc['Neck'] == pytest.approx(100.0 * 30 / 31)
    # wrist: r_wrist (150) never below t <= 150; l_wrist 149 once below 150
    # and 0 otherwise: (0 * 4 + 1 * 1 + 30 * 3) / 8 per threshold
    assert auc['Wrist'] == pytest.approx(100.0 * (1 + 30 * 3) / 8 / 31)


def test_mpjpe_average_includes_root_and_empty_rows_are_nan():
    errors = np.zeros((2, 17))
    errors[:, 0] = 34.0
    row = table_row(errors)
    assert row['mpjpe'] == pytest.approx(2.0)  # 34 / 17 joints
    empty = table_row(np.zeros((0, 17)))
    assert np.isnan(empty['mpjpe']) and np.isnan(empty['pck']['Total'])


def test_joint_errors_root_relative_gt_prediction_as_given():
    rng = np.random.RandomState(3)
    gt = rng.uniform(-900, 900, (6, 17, 3)) + [0, 0, 4000]
    pred = root_relative(gt) + [3.0, 4.0, 0.0]
    assert np.allclose(joint_errors(pred, root_relative(gt)), 5.0)
    # a prediction with a root offset is not re-centred
    shifted = root_relative(gt) + [0, 0, 100.0]
    assert np.allclose(joint_errors(shifted, root_relative(gt)), 100.0)
    with pytest.raises(ValueError, match='must both be'):
        joint_errors(pred[:, :16], root_relative(gt))


def test_activity_rows_and_aggregates():
    rng = np.random.RandomState(0)
    errors = {s: rng.uniform(0, 200, (n, 17))
              for s, n in (('TS1', 5), ('TS2', 3), ('TS5', 4))}
    activities = {'TS1': np.array([1, 1, 2, 2, 2]), 'TS2': np.array([2, 1, 1]),
                  'TS5': np.array([7, 7, 7, 1])}
    result = evaluate_sequences(errors, activities)
    assert list(result['sequencewise']) == ['TestSeq1', 'TestSeq2',
                                            'TestSeq5']
    pooled = np.concatenate(list(errors.values()))
    labels = np.concatenate(list(activities.values()))
    walking = result['activitywise']['Standing/Walking']
    assert walking['mpjpe_per_joint'] == pytest.approx(
        list(pooled[labels == 1].mean(0)))
    assert np.isnan(result['activitywise']['Sitting']['mpjpe'])
    assert result['activitywise']['All']['mpjpe'] == pytest.approx(
        pooled.mean())
    derived = result['derived']['mpjpe']
    seq = [pooled[:5].mean(), pooled[5:8].mean(), pooled[8:].mean()]
    assert derived['all_row'] == pytest.approx(pooled.mean())
    assert derived['frame_weighted_seq_mean'] == pytest.approx(
        pooled.mean())
    assert derived['unweighted_seq_mean'] == pytest.approx(np.mean(seq))
    assert derived['readme_weighted_seq_mean'] == pytest.approx(
        (603 * seq[0] + 540 * seq[1] + 276 * seq[2]) / (603 + 540 + 276))
    # only GS has both of its sequences here
    assert derived['readme_weighted_scene_mean'] == pytest.approx(
        {'GS': (603 * seq[0] + 540 * seq[1]) / 1143})
    other = aggregate_sequences({'S9': result['sequencewise']['TestSeq1']},
                                [5], result['activitywise']['All'])
    assert 'readme_weighted_seq_mean' not in other['pck']
    with pytest.raises(ValueError, match='TS2'):
        evaluate_sequences(errors, dict(activities, TS2=np.ones(2)))


@needs_fixture
@pytest.mark.parametrize('layout,octave', [
    ('pstmo', ['pstmo/mpii_3dhp_prediction.mat']),
    ('finepose', ['finepose/mpii_3dhp_prediction_ori_J_Agg_t1.mat',
                  'finepose/mpii_3dhp_prediction_ori_J_Agg_t2.mat']),
])
def test_per_joint_errors_match_octave(layout, octave):
    """The saved per-joint errors of the scripts, bit for bit in the
    float32 (pstmo) path and to 1e-9 mm in float64 (finepose)."""
    inputs = FIXTURE / 'inputs'
    sequences = find_test_sequences(str(inputs))
    pred_file = ('inference_data.mat'
                 if layout == 'pstmo' else 'inference_data_J_Agg.mat')
    preds = load_predictions(str(inputs / pred_file), layout, sequences)
    skeleton = 'univ_annot3' if layout == 'pstmo' else 'annot3'
    for step, name in enumerate(octave):
        saved = scipy.io.loadmat(str(FIXTURE / 'octave_out' / name))
        for index, sequence in enumerate(sequences):
            annot = load_annot_data(str(inputs / sequence / 'annot_data.mat'))
            gt = root_relative(annot[skeleton])[annot['valid']]
            pred = preds[sequence]
            pred = pred if layout == 'pstmo' else pred[step][annot['valid']]
            ours = joint_errors(pred, gt)
            # (17, 1, N) as the script saved it
            theirs = saved['sequencewise_per_joint_error'][index, 0][:, 0].T
            labels = saved['sequencewise_activity_labels'][index, 0].ravel()
            np.testing.assert_array_equal(labels,
                                          annot['activity'][annot['valid']])
            tolerance = 0.0 if layout == 'pstmo' else 1e-9
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=tolerance)
