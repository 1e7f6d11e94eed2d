"""tools/analysis_tools/eval_mpi_inf_3dhp.py reproduces every cell the
MATLAB scripts printed under Octave (the 3dhp_metric fixture)."""
import json
import os.path as osp
import runpy
import shutil
import sys

import numpy as np
import pytest

from metapose_plugin.datasets.datasets.mpi_inf_3dhp_mat_layout import (find_test_sequences,
                                                                       load_annot_data,
                                                                       load_predictions,
                                                                       save_predictions)
from metapose_plugin.evaluation.functional.mpi_inf_3dhp_file_eval import evaluate_prediction_file
from metapose_plugin.testing.fixtures import shared_fixture_dir

from ._tool_utils import REPO, run_tool

FIXTURE = shared_fixture_dir('3dhp_metric')
needs_fixture = pytest.mark.shared_fixture(FIXTURE / 'results.json', FIXTURE / 'inputs')

#: Tolerances of the issue: PCK and AUC to 1e-9 (percent), MPJPE 1e-5 mm.
TOLERANCE = dict(pck=1e-9, auc=1e-9, mpjpe=1e-5)


def compare_cells(expected, actual, path=()):
    """Every number in ``expected`` (nested dicts/lists) is in ``actual``
    within the tolerance of its metric; returns the number of cells."""
    if isinstance(expected, dict):
        return sum(
            compare_cells(v, actual[k], path + (k, ))
            for k, v in expected.items())
    if isinstance(expected, list):
        assert len(expected) == len(actual), path
        return sum(
            compare_cells(e, a, path + (i, ))
            for i, (e, a) in enumerate(zip(expected, actual)))
    kind = next((k for k in ('pck', 'auc') if k in path), 'mpjpe')
    if any(isinstance(p, str) and p.startswith('mpjpe') for p in path):
        kind = 'mpjpe'
    if expected is None or isinstance(expected, str):
        assert actual == expected, path
    elif np.isnan(expected):
        assert np.isnan(actual), path
    else:
        assert abs(expected - actual) <= TOLERANCE[kind], (path, expected,
                                                           actual)
    return 1


@needs_fixture
@pytest.mark.parametrize('layout,pred', [('pstmo', 'inference_data.mat'),
                                         ('finepose',
                                          'inference_data_J_Agg.mat')])
def test_tool_reproduces_octave_tables(tmp_path, capsys, monkeypatch, layout,
                                       pred):
    expected = json.loads((FIXTURE / 'results.json').read_text())
    out = tmp_path / 'out.json'
    args = [
        'tools/analysis_tools/eval_mpi_inf_3dhp.py', '--gt-root',
        str(FIXTURE / 'inputs'), '--pred',
        str(FIXTURE / 'inputs' / pred), '--layout', layout, '--json',
        str(out)
    ]
    if layout == 'pstmo':  # as a user runs it
        output = run_tool(args)
    else:  # in this interpreter (no second start-up of the stack)
        monkeypatch.setattr(sys, 'argv', args)
        runpy.run_path(osp.join(REPO, args[0]), run_name='__main__')
        output = capsys.readouterr().out
    assert 'TestSeq6' in output and 'Miscellaneous' in output
    ours = json.loads(out.read_text())
    runs = [k for k in expected if k.startswith(layout)]
    assert sorted(ours) == sorted(runs)
    cells = sum(compare_cells(expected[k], ours[k]) for k in runs)
    # 6 + 8 rows x (17 + 1 + 9 + 9) cells + n_valid + derived, per run
    assert cells >= len(runs) * 14 * 36


def _write_v73(path, annot):
    """A MATLAB v7.3 file as MATLAB writes it: HDF5 after a 512-byte user
    block, arrays with their axes reversed."""
    h5py = pytest.importorskip('h5py')
    matlab = dict(
        valid_frame=annot['valid'].astype(np.float64)[None],
        activity_annotation=annot['activity'].astype(np.float64)[None])
    for name in ('annot2', 'annot3', 'univ_annot3'):
        matlab[name] = annot[name].transpose(2, 1, 0)[:, :, None, :]
    with h5py.File(path, 'w', userblock_size=512) as f:
        for name, value in matlab.items():
            f[name] = value.transpose()  # HDF5 stores row-major
    with open(path, 'r+b') as f:
        f.write(b'MATLAB 7.3 MAT-file'.ljust(128, b' '))


@needs_fixture
def test_v73_ground_truth_gives_the_same_tables(tmp_path):
    """HDF5 (v7.3) ground truth reads as the v5 file and gives the same
    tables."""
    inputs = FIXTURE / 'inputs'
    sequences = find_test_sequences(str(inputs))
    for sequence in sequences:
        annot = load_annot_data(str(inputs / sequence / 'annot_data.mat'))
        (tmp_path / sequence).mkdir()
        _write_v73(str(tmp_path / sequence / 'annot_data.mat'), annot)
        again = load_annot_data(str(tmp_path / sequence / 'annot_data.mat'))
        for key, value in annot.items():
            np.testing.assert_array_equal(again[key], value)
    pred = str(inputs / 'inference_data.mat')
    expected = evaluate_prediction_file(str(inputs), pred, 'pstmo')
    assert compare_cells(expected,
                         evaluate_prediction_file(str(tmp_path), pred,
                                                  'pstmo')) > 500


@needs_fixture
@pytest.mark.parametrize('layout,pred', [('pstmo', 'inference_data.mat'),
                                         ('finepose',
                                          'inference_data_J_Agg.mat')])
def test_written_predictions_round_trip(tmp_path, layout, pred):
    """save_predictions writes what load_predictions and the evaluation
    read back unchanged (dtype included)."""
    inputs = FIXTURE / 'inputs'
    sequences = find_test_sequences(str(inputs))
    preds = load_predictions(str(inputs / pred), layout, sequences)
    path = str(tmp_path / pred)
    save_predictions(path, preds, layout)
    again = load_predictions(path, layout, sequences)
    for sequence in sequences:
        assert again[sequence].dtype == preds[sequence].dtype
        np.testing.assert_array_equal(again[sequence], preds[sequence])
    expected = evaluate_prediction_file(str(inputs), str(inputs / pred),
                                        layout)
    assert compare_cells(expected,
                         evaluate_prediction_file(str(inputs), path,
                                                  layout)) > 500


@needs_fixture
def test_wrong_frame_count_names_file_and_sequence(tmp_path):
    inputs = FIXTURE / 'inputs'
    sequences = find_test_sequences(str(inputs))
    preds = load_predictions(str(inputs / 'inference_data.mat'), 'pstmo',
                             sequences)
    preds[sequences[2]] = preds[sequences[2]][:-1]
    path = str(tmp_path / 'short.mat')
    save_predictions(path, preds, 'pstmo')
    with pytest.raises(ValueError, match=f'short.mat: {sequences[2]} holds'):
        evaluate_prediction_file(str(inputs), path, 'pstmo')
    shutil.copytree(str(inputs / sequences[0]), str(tmp_path / sequences[0]))
    with pytest.raises(KeyError, match="no variable 'TS1'"):
        evaluate_prediction_file(str(tmp_path), str(inputs / 'TS2' /
                                                    'annot_data.mat'),
                                 'pstmo')
    assert osp.isfile(path)


@needs_fixture
def test_parity_module_passes_and_can_fail(tmp_path, capsys):
    from metapose_plugin.parity import mpi_inf_3dhp
    results = json.loads((FIXTURE / 'results.json').read_text())
    result = mpi_inf_3dhp.check(str(FIXTURE))
    assert result.passed, result.summary()
    # PCK, AUC and MPJPE of every run of results.json
    assert len(result.compared) == 3 * len(results) and not result.skipped
    shutil.copytree(str(FIXTURE / 'inputs'), str(tmp_path / 'inputs'))
    auc = results['finepose_annot3_J_Agg_t2']['activitywise']['Sports']['auc']
    auc['Knee'] += 2e-9
    results['extra_run'] = {}
    (tmp_path / 'results.json').write_text(json.dumps(results))
    capsys.readouterr()
    result = mpi_inf_3dhp.check(str(tmp_path))
    assert result.failed == ['finepose_annot3_J_Agg_t2 auc']
    assert result.missing_required == ['extra_run pck', 'extra_run auc', 'extra_run mpjpe']
    printed = capsys.readouterr().out
    assert 'extra_run' in printed and 'skipped' in printed
