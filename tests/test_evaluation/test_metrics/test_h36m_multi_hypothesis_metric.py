import numpy as np
import pytest
import torch
from mmpose.registry import METRICS

from metapose_plugin.evaluation.metrics import h36m_metric
from metapose_plugin.structures.h36m_cameras import (camera_intrinsics, h36m_camera_param,
                                                     project_to_2d)

F, H = 4, 2


def sample(frames, action='Walking', offset=(0.0, 0.0), pad=None, seed=0):
    """A data sample dict whose hypothesis 0 is 10 mm off on x everywhere,
    hypothesis 1 exact on joint 1 and 30 mm off on y elsewhere (root 0)."""
    rng = np.random.default_rng(seed)
    rel = rng.normal(0, 0.2, (F, 17, 3))
    rel[:, 0] = 0
    root = np.array([0.0, 0.1, 5.0]) + np.zeros((F, 3))
    hyps = np.repeat(rel[None], H, axis=0)
    hyps[0, :, 1:, 0] += 0.010 + offset[0]
    hyps[1, :, 2:, 1] += 0.030 + offset[1]
    camera = h36m_camera_param('S9', 0)
    keypoints_2d = project_to_2d(rel + root[:, None], camera_intrinsics(camera, normalize=True))
    hyps_t = torch.as_tensor(hyps[None], dtype=torch.float32)
    return dict(subject='S9', action=action, subaction=1, camera_id=0,
                target_frame_ids=np.asarray(frames),
                target_pad_mask=np.zeros(F, bool) if pad is None else np.asarray(pad),
                camera_param=camera, target_root=root,
                gt_instances=dict(lifting_target=rel + root[:, None]),
                pred_instances=dict(keypoints=hyps_t.mean(1), hypotheses=hyps_t)), \
        torch.as_tensor(keypoints_2d, dtype=torch.float32)


def run(metric, batches):
    for batch in batches:
        samples = [s for s, _ in batch]
        metric.process(dict(inputs=[k for _, k in batch]), samples)
    return metric.compute_metrics(metric.results)


def test_reports_all_aggregations_with_oracle_names():
    metric = METRICS.build(dict(type='H36MMultiHypothesisMetric'))
    metrics = run(metric, [[sample(range(F))]])
    # J-Best: joint 1 exact (hyp 1), the other 15 non-root joints 10 mm (hyp 0)
    assert metrics['P1/J-Best(oracle)'] == pytest.approx(15 * 10 / 17, abs=1e-3)
    # P-Best: hypothesis 0 (mean 160/17 mm) beats hypothesis 1 (450/17 mm)
    assert metrics['P1/P-Best(oracle)'] == pytest.approx(16 * 10 / 17, abs=1e-3)
    # J-Agg picks the hypothesis whose reprojection is closer per joint: a
    # 10 mm x-error projects closer than a 30 mm y-error
    assert metrics['P1/J-Agg'] == pytest.approx(15 * 10 / 17, abs=0.5)
    assert metrics['P1'] == pytest.approx(metrics['P1/P-Agg'], abs=1e-4)
    assert 'P1/J-Best(oracle)/Walking' in metrics and 'P2/P-Best(oracle)' in metrics
    assert metrics['P2/J-Best(oracle)'] <= metrics['P1/J-Best(oracle)'] + 1e-6


def test_frames_counted_once_and_padding_dropped():
    metric = METRICS.build(dict(type='H36MMultiHypothesisMetric', j_agg=False))
    first, _ = sample([0, 1, 2, 3])
    overlap, _ = sample([2, 3, 4, 5], offset=(0.5, 0.5), pad=[False, False, False, True])
    metric.process(None, [first, overlap])
    metrics = metric.compute_metrics(metric.results)
    assert 'P1/J-Agg' not in metrics
    # frames 0-3 from the first window (P-Best: hypothesis 0, 160/17 mm);
    # of the overlapping window only frame 4 (hypothesis 1: 15 x 530 / 17 mm)
    expected = (4 * 160 / 17 + 15 * 530 / 17) / 5
    assert metrics['P1/P-Best(oracle)_frames'] == pytest.approx(expected, abs=1e-2)
    frames = [r['frames'].tolist() for r in metric.results]
    assert frames == [[0, 1, 2, 3], [2, 3, 4]]


def test_p_best_pooled_over_the_batch_differs_from_per_sample():
    bad0, k0 = sample(range(F), seed=1)
    # sample 2: hypothesis 0 far off, so on its own it prefers hypothesis 1
    bad1, k1 = sample(range(F, 2 * F), seed=2, offset=(0.050, 0.0))
    per_sample = run(METRICS.build(dict(type='H36MMultiHypothesisMetric', j_agg=False)),
                     [[(bad0, k0), (bad1, k1)]])
    pooled = run(METRICS.build(dict(type='H36MMultiHypothesisMetric', j_agg=False,
                                    p_best_pool='batch')), [[(bad0, k0), (bad1, k1)]])
    assert pooled['P1/P-Best(oracle)'] > per_sample['P1/P-Best(oracle)'] + 1


def test_clear_errors():
    metric = METRICS.build(dict(type='H36MMultiHypothesisMetric'))
    no_camera, keypoints = sample(range(F))
    del no_camera['camera_param']
    with pytest.raises(ValueError, match="camera_param.*S9 Walking camera 0"):
        metric.process(dict(inputs=[keypoints]), [no_camera])
    single, _ = sample(range(F))
    del single['pred_instances']['hypotheses']
    with pytest.raises(ValueError, match='hypotheses'):
        METRICS.build(dict(type='H36MMultiHypothesisMetric', j_agg=False)).process(None, [single])
    with pytest.raises(ValueError, match='p_best_pool'):
        METRICS.build(dict(type='H36MMultiHypothesisMetric', p_best_pool='all'))


def test_each_logged_table_names_its_aggregation(monkeypatch):
    """Five per-action tables used to share one heading: each now says what
    it is, the oracles as oracles."""
    titles = []
    monkeypatch.setattr(h36m_metric, 'print_log',
                        lambda text, **kwargs: titles.append(text.splitlines()[0]))
    run(METRICS.build(dict(type='H36MMultiHypothesisMetric')), [[sample(range(F))]])
    prefix = 'H36MMultiHypothesisMetric: '
    assert titles[0] == prefix + "headline P1/P2, the model's prediction " \
        '(pred_instances.keypoints)'
    assert sorted(titles[1:]) == [
        prefix + 'J-Agg: per joint, the hypothesis whose reprojection is closest to the '
        'input 2D',
        prefix + 'J-Best (oracle): per joint, the hypothesis closest to the 3D ground truth',
        prefix + 'P-Agg: mean of the hypotheses',
        prefix + 'P-Best (oracle): the hypothesis with the lowest error against the 3D '
        'ground truth']


def test_non_finite_hypotheses_are_refused():
    bad, keypoints = sample(range(F))
    bad['pred_instances']['hypotheses'][0, 1, 2, 5, 0] = float('nan')
    with pytest.raises(ValueError, match=r'data sample 0 \(S9 Walking camera 0, '
                       r'pred_instances.hypotheses\) is not finite \(NaN or inf\) at frames '
                       r'\[2\], joints \[5\]'):
        METRICS.build(dict(type='H36MMultiHypothesisMetric')).process(
            dict(inputs=[keypoints]), [bad])
