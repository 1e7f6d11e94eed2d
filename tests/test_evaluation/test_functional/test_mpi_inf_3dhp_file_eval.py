"""The 3DHP file evaluation (behind tools/analysis_tools/eval_mpi_inf_3dhp.py)
refuses a NaN prediction naming it, or counts it as a miss everywhere; an
unreadable MAT file is an error naming it."""
import os.path as osp
import shutil

import numpy as np
import pytest

from metapose_plugin.datasets.datasets.mpi_inf_3dhp_mat_layout import (find_test_sequences,
                                                                       load_annot_data,
                                                                       save_predictions)
from metapose_plugin.engine.fileio import UnreadableFileError
from metapose_plugin.evaluation.functional.mpi_inf_3dhp_eval import root_relative
from metapose_plugin.evaluation.functional.mpi_inf_3dhp_file_eval import (
    evaluate_prediction_file, json_ready)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
SAMPLE = osp.join(REPO, 'data', 'mpi_inf_3dhp_sample')


def _perfect_predictions(path):
    """The sample's ground truth (univ_annot3, valid frames) as predictions."""
    predictions = {}
    for sequence in find_test_sequences(SAMPLE):
        annot = load_annot_data(osp.join(SAMPLE, sequence, 'annot_data.mat'))
        predictions[sequence] = root_relative(annot['univ_annot3'])[annot['valid']]
    save_predictions(str(path), predictions, 'pstmo')
    return predictions


def test_nan_prediction(tmp_path):
    predictions = _perfect_predictions(tmp_path / 'perfect.mat')
    clean = evaluate_prediction_file(SAMPLE, str(tmp_path / 'perfect.mat'), 'pstmo')
    [result] = clean.values()
    assert result['derived']['pck']['all_row'] == pytest.approx(100.0)
    assert result['nonfinite_joints'] == 0
    predictions['TS3'][4, 7] = np.nan
    save_predictions(str(tmp_path / 'nan.mat'), predictions, 'pstmo')
    valid = load_annot_data(osp.join(SAMPLE, 'TS3', 'annot_data.mat'))['valid']
    frame = int(np.flatnonzero(valid)[4])
    with pytest.raises(ValueError, match=rf'nan\.mat: the prediction of TS3 \(sampling step 1\) '
                       rf'is not finite \(NaN or inf\) at frames \[{frame}\], joints \[7\].*'
                       '--nonfinite miss'):
        evaluate_prediction_file(SAMPLE, str(tmp_path / 'nan.mat'), 'pstmo')
    [missed] = evaluate_prediction_file(SAMPLE, str(tmp_path / 'nan.mat'), 'pstmo',
                                        nonfinite='miss').values()
    assert missed['nonfinite_joints'] == 1
    row = missed['sequencewise']['TestSeq3']
    frames = int(valid.sum())
    # joint 7 (left wrist) is one of 2 wrist joints: 1 miss among 2 x frames
    assert row['pck']['Wrist'] == pytest.approx(100.0 * (2 * frames - 1) / (2 * frames))
    assert row['auc']['Wrist'] < 100.0 and row['mpjpe'] == np.inf
    assert json_ready(row)['mpjpe'] is None
    assert missed['sequencewise']['TestSeq1']['mpjpe'] == pytest.approx(0.0, abs=1e-3)


@pytest.mark.parametrize('damage', ['truncated', 'garbage'])
def test_unreadable_mat_files(tmp_path, damage):
    _perfect_predictions(tmp_path / 'pred.mat')
    gt_root = tmp_path / 'gt'
    shutil.copytree(SAMPLE, gt_root, ignore=shutil.ignore_patterns('*.npz'))
    for path in (tmp_path / 'pred.mat', gt_root / 'TS2' / 'annot_data.mat'):
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 3] if damage == 'truncated' else b'\x01' * 4000)
        with pytest.raises(UnreadableFileError, match=rf'{path}: cannot be read as a MATLAB'):
            evaluate_prediction_file(str(gt_root), str(tmp_path / 'pred.mat'), 'pstmo')
        path.write_bytes(data)
