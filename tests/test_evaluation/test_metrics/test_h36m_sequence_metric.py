import os.path as osp

import numpy as np
import pytest
import torch

from metapose_plugin.datasets.datasets import H36MSequenceDataset
from metapose_plugin.evaluation.metrics import H36MSequenceMetric

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
SAMPLE = osp.join(REPO, 'data', 'h36m_videopose3d_sample')
META = ('subject', 'action', 'subaction', 'camera_id', 'target_frame_ids',
        'target_pad_mask')


def _dataset(mode, seq_len=27, **kwargs):
    return H36MSequenceDataset(
        data_root=SAMPLE, ann_file='data_3d_h36m.npz',
        keypoint_2d_file='data_2d_h36m_gt.npz', subjects=['S9', 'S11'],
        seq_len=seq_len, sample_mode=mode, **kwargs)


def _error_m(info, frame):
    """A known error (metres) per (video, frame) of the real frames."""
    return 0.01 * (1 + info['camera_id'] + 0.1 * frame +
                   (info['subaction'] == 2))


def _samples(dataset, shape='sequence', corrupt=True):
    """Data samples whose prediction moves every non-root joint along x by
    the known error; padded slots and the frames a window shares with an
    earlier one get a huge error when ``corrupt``."""
    samples, seen = [], set()
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        gt = info['lifting_target']
        pred = gt.astype(np.float64).copy()
        for slot, frame in enumerate(info['target_frame_ids']):
            key = (info['subject'], info['action'], info['subaction'],
                   info['camera_id'], int(frame))
            pad = info['target_pad_mask'][slot]
            wrong = pad or key in seen
            if not pad:
                seen.add(key)
            pred[slot, 1:, 0] += 5.0 if corrupt and wrong else _error_m(
                info, frame)
        if shape == 'sequence':
            pred = torch.from_numpy(pred[None]).float()  # (1, F, K, 3)
        sample = {key: info[key] for key in META}
        sample.update(
            pred_instances=dict(keypoints=pred),
            gt_instances=dict(lifting_target=gt))
        samples.append(sample)
    return samples


def _expected(dataset):
    """P1 per action: mean over each real frame once of 16/17 x error."""
    per_action = {}
    for video in dataset.videos:
        for frame in range(len(video['keypoints'])):
            error = 16 / 17 * 1000 * _error_m(video, frame)
            per_action.setdefault(video['action'], []).append(error)
    return {a: float(np.mean(v)) for a, v in per_action.items()}, \
        float(np.mean(sum(per_action.values(), [])))


def _evaluate(samples, split=1):
    """Process in `split` metrics (ranks), gather, compute."""
    results = []
    for rank in range(split):
        metric = H36MSequenceMetric()
        metric.process({}, samples[rank::split])
        results += metric.results
    return H36MSequenceMetric().compute_metrics(results)


@pytest.mark.parametrize('mode, seq_len, split', [('test_chunks', 27, 1),
                                                  ('test_chunks', 9, 2),
                                                  ('chunks', 27, 2),
                                                  ('per_frame', 5, 1)])
def test_every_real_frame_once(mode, seq_len, split):
    dataset = _dataset(mode, seq_len)
    shape = 'single' if mode == 'per_frame' else 'sequence'
    metrics = _evaluate(_samples(dataset, shape), split)
    per_action, frames = _expected(dataset)
    assert set(per_action) == {
        'Walking', 'TakingPhoto', 'SittingDown', 'WalkingDog', 'Directions'
    }
    for action, value in per_action.items():
        assert metrics[f'P1/{action}'] == pytest.approx(value, rel=1e-5)
    assert metrics['P1'] == pytest.approx(
        np.mean(list(per_action.values())), rel=1e-5)
    assert metrics['P1_frames'] == pytest.approx(frames, rel=1e-5)
    assert metrics['P2'] < metrics['P1']


def test_counting_pads_or_overlaps_would_change_the_result():
    """The corrupted slots matter: the test above can fail."""
    dataset = _dataset('chunks', 27)  # left padding comes first
    clean = _evaluate(_samples(dataset, corrupt=False))
    corrupted = _evaluate(_samples(dataset))
    assert clean['P1'] == pytest.approx(corrupted['P1'], rel=1e-5)
    metric = H36MSequenceMetric()
    samples = _samples(dataset)
    for sample in samples:  # without pad masks the padded slots count
        sample['target_pad_mask'] = np.zeros_like(sample['target_pad_mask'])
    metric.process({}, samples)
    assert metric.compute_metrics(metric.results)['P1'] > clean['P1'] + 10


def test_root_handling():
    dataset = _dataset('per_frame', 3, cameras=[0])
    samples = _samples(dataset, 'single')
    for sample in samples:  # absolute prediction shifted as a whole
        sample['pred_instances']['keypoints'] = \
            sample['pred_instances']['keypoints'] + 0.2
    relative = _evaluate(samples)
    per_action, _ = _expected(dataset)
    assert relative['P1/Walking'] == pytest.approx(per_action['Walking'],
                                                   rel=1e-5)
    metric = H36MSequenceMetric(root_index=None)
    metric.process({}, samples)
    assert metric.compute_metrics(metric.results)['P1'] > 200


def test_bad_samples():
    dataset = _dataset('test_chunks', 27)
    sample = _samples(dataset)[0]
    missing = {k: v for k, v in sample.items() if k != 'subaction'}
    with pytest.raises(ValueError, match=r"lacks metainfo \['subaction'\]"):
        H36MSequenceMetric().process({}, [missing])
    short = dict(sample, pred_instances=dict(keypoints=np.zeros((1, 17, 3))))
    with pytest.raises(ValueError, match='sample 0 .*disagree'):
        H36MSequenceMetric().process({}, [short])
    # a NaN in a real frame is refused naming the sample and frame; in a
    # padded frame (never scored) it is not read
    pred = np.array(sample['pred_instances']['keypoints'], dtype=np.float64)
    pred = pred.reshape(-1, 17, 3)
    pad = np.asarray(sample['target_pad_mask'], bool)
    real_frame = int(np.flatnonzero(~pad)[0])
    broken = pred.copy()
    broken[real_frame, 4, 2] = np.inf
    with pytest.raises(ValueError, match=rf"data sample 0 \({sample['subject']} "
                       rf"{sample['action']} subaction {sample['subaction']} camera "
                       rf"{sample['camera_id']}\) is not finite .* at frames "
                       rf"\[{sample['target_frame_ids'][real_frame]}\], joints \[4\]"):
        H36MSequenceMetric().process({}, [dict(sample, pred_instances=dict(keypoints=broken))])
    if pad.any():
        padded = pred.copy()
        padded[int(np.flatnonzero(pad)[0])] = np.nan
        H36MSequenceMetric().process({}, [dict(sample, pred_instances=dict(keypoints=padded))])
