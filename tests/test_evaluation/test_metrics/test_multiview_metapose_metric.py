"""MultiViewMetaPoseMetric: alignments, NMPJPE mirror, per view count."""
import pytest
import torch

from metapose_plugin.evaluation.metrics.multiview_metapose_metric import MultiViewMetaPoseMetric


def _sample(pred, gt, rot0, views):
    return dict(pred_instances=dict(keypoints=pred[None], rot0=rot0[None],
                                    objective=torch.tensor([1.5])),
                gt_instance_labels=dict(pose3d=gt[None], pose3d_cam0=(gt @ rot0)[None]),
                num_views=views)


def test_metric_alignments_and_groups():
    gen = torch.Generator().manual_seed(0)
    gt = torch.randn(17, 3, generator=gen, dtype=torch.float64) * 300
    rot0 = torch.linalg.qr(torch.randn(3, 3, generator=gen, dtype=torch.float64))[0]
    rot0 = rot0 * torch.sign(torch.linalg.det(rot0))
    similar = gt * 0.002 + 1.0  # any scale and shift: aligned error 0
    mirrored = similar * torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64)
    metric = MultiViewMetaPoseMetric()
    metric.process(None, [_sample(similar, gt, rot0, 4), _sample(mirrored, gt, rot0, 2)])
    out = metric.compute_metrics(metric.results)
    assert out['V4/pmpjpe_ref'] == pytest.approx(0, abs=1e-6)
    assert out['V4/pmpjpe'] == pytest.approx(0, abs=1e-6)
    assert out['V4/nmpjpe'] == pytest.approx(0, abs=1e-6) and out['V4/pck150'] == 100
    assert out['V2/pmpjpe_ref'] == pytest.approx(0, abs=1e-6)  # the reference accepts reflections
    assert out['V2/pmpjpe'] > 50  # a proper alignment does not
    assert out['pmpjpe'] == pytest.approx(out['V2/pmpjpe'] / 2)
    assert out['objective'] == pytest.approx(1.5)
    with pytest.raises(ValueError, match='pred_instances'):
        metric.process(None, [dict(num_views=2)])


def test_non_finite_pose_is_refused():
    gt = torch.ones(17, 3, dtype=torch.float64)
    pred = gt.clone()
    pred[6, 1] = float('inf')
    sample = dict(_sample(pred, gt, torch.eye(3, dtype=torch.float64), 4), subject='S9',
                  action='Walking', frame=12)
    with pytest.raises(ValueError, match=r'data sample 0 \(S9 Walking frame 12\) is not finite '
                       r'\(NaN or inf\) at joints \[6\]'):
        MultiViewMetaPoseMetric().process(None, [sample])
