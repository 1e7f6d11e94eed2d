"""The MPI-INF-3DHP configs of FinePOSE and MPM: what they select, and the
tiny ones run through MMEngine on the shipped synthetic sample."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from metapose_plugin.evaluation.functional.mpi_inf_3dhp_file_eval import \
    evaluate_prediction_file

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FINEPOSE = 'configs/finepose/finepose_mixste-243frm-gt_clip-b32_1xb4-100e_mpi-inf-3dhp.py'
FINEPOSE_TINY = ('configs/finepose/'
                 'finepose_tiny-mixste-27frm-gt_clip_1xb4-1e_mpi-inf-3dhp-sample.py')
MPM = 'configs/mpm/mpm-lift_c256-l4-243frm-gt-16j_1xb256-50e_mpi-inf-3dhp.py'
MPM_TINY = 'configs/mpm/mpm-lift_tiny-27frm-gt-16j_1xb32-1e_mpi-inf-3dhp-sample.py'
SAMPLE = osp.join(REPO, 'data', 'mpi_inf_3dhp_sample')


def load(name):
    return Config.fromfile(osp.join(REPO, name))


def test_what_the_configs_select():
    finepose = load(FINEPOSE)
    assert finepose.model.root_index == 14
    assert [s['name'] for s in finepose.model.text_encoder.segments] == [
        'subject', 'speed', 'head', 'body', 'arm', 'leg']
    assert sum(s['num_context'] for s in
               finepose.model.text_encoder.segments) == 53
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = finepose[loader].dataset
        assert dataset.type == 'MPIINF3DHPSequenceDataset'
        assert dataset.ann_file.endswith('_ori.npz')  # annot3
    assert finepose.test_dataloader.dataset.sample_mode == 'test_chunks'
    assert 'S8 Seq1' not in finepose.train_dataloader.dataset.sequences
    assert finepose.test_evaluator == dict(
        type='MPIINF3DHPMetric', skeleton='annot3', pred_layout='finepose')
    mpm = load(MPM)
    assert mpm.model.head.num_keypoints == 16
    assert mpm.model.backbone.num_keypoints == 16
    assert mpm.test_dataloader.dataset.joint_order == 'mpm16'
    assert mpm.test_dataloader.dataset.sample_mode == 'per_frame'
    assert mpm.test_evaluator.joint_order == 'mpm16'
    assert mpm.test_evaluator.prefix == 'mpm16'


def _runner(name, tmp_path, **test_evaluator):
    cfg = load(name)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.test_evaluator.update(test_evaluator)
    return Runner.from_cfg(cfg)


def test_finepose_tiny_trains_and_tests_like_the_tool(tmp_path):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    runner = _runner(FINEPOSE_TINY, tmp_path,
                     outfile_prefix=str(tmp_path / 'inference_data'))
    runner.train()
    metrics = runner.test()
    tool = evaluate_prediction_file(SAMPLE,
                                    str(tmp_path / 'inference_data.mat'),
                                    'finepose')
    assert list(tool) == ['finepose_annot3_t1']
    derived = tool['finepose_annot3_t1']['derived']
    assert metrics['MPJPE'] == pytest.approx(derived['mpjpe']['all_row'],
                                             abs=1e-5)
    assert metrics['PCK'] == pytest.approx(derived['pck']['all_row'],
                                           abs=1e-9)
    # the activity labels of annot_root reach the metric
    activities = [k for k in metrics if k.startswith('MPJPE/') and
                  not k.startswith(('MPJPE/TestSeq', 'MPJPE/GS', 'MPJPE/noGS',
                                    'MPJPE/outdoor', 'MPJPE/unweighted',
                                    'MPJPE/readme'))]
    assert len(activities) >= 3
    assert all(np.isfinite(metrics[k]) for k in activities)


def test_mpm16_tiny_tests(tmp_path):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    cfg = load(MPM_TINY)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.test_dataloader.dataset.sequences = ['TS5']
    metrics = Runner.from_cfg(cfg).test()
    assert metrics['mpm16/MPJPE'] > 0
    assert 'mpm16/PCK/TestSeq5' in metrics
