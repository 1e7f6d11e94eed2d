import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from metapose_plugin.evaluation import H36MMetric


def _umeyama_p_mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """Independent P-MPJPE (Umeyama 1991), mean joint error after aligning
    ``pred`` to ``gt`` with scale, proper rotation and translation."""
    mu_p, mu_g = pred.mean(0), gt.mean(0)
    p, g = pred - mu_p, gt - mu_g
    cov = g.T @ p / len(p)
    u, d, vt = np.linalg.svd(cov)
    sign = np.eye(3)
    sign[2, 2] = np.sign(np.linalg.det(u) * np.linalg.det(vt))
    rotation = u @ sign @ vt
    scale = np.trace(np.diag(d) @ sign) / (p**2).sum(1).mean()
    aligned = scale * p @ rotation.T + mu_g
    return float(np.linalg.norm(aligned - gt, axis=1).mean())


def _sample(pred, gt, action, as_tensor=False):
    convert = torch.from_numpy if as_tensor else np.asarray
    return dict(
        action=action,
        pred_instances=dict(keypoints=convert(pred[None].astype(np.float32))),
        gt_instances=dict(lifting_target=gt[None].astype(np.float32)))


def _evaluate(samples):
    metric = H36MMetric()
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def _pose(rng):
    pose = rng.uniform(-0.8, 0.8, (17, 3))
    pose[0] = 0
    return pose


def test_identity_and_rigid_transforms():
    rng = np.random.RandomState(0)
    gt = _pose(rng)
    rotation = Rotation.from_euler('xyz', [20, -35, 60],
                                   degrees=True).as_matrix()
    moved = 1.3 * gt @ rotation.T + [0.1, -0.2, 0.3]
    metrics = _evaluate([
        _sample(gt, gt, 'Directions'),
        _sample(moved, gt, 'Eating', as_tensor=True)
    ])
    assert metrics['P1/Directions'] == pytest.approx(0, abs=1e-3)
    assert metrics['P2/Directions'] == pytest.approx(0, abs=1e-3)
    assert metrics['P1/Eating'] > 100
    assert metrics['P2/Eating'] == pytest.approx(0, abs=1e-2)


def test_reflection_is_not_aligned():
    rng = np.random.RandomState(1)
    gt = _pose(rng)
    mirrored = gt * [-1, 1, 1]
    metrics = _evaluate([_sample(mirrored, gt, 'Posing')])
    expected = 1000 * _umeyama_p_mpjpe(mirrored, gt)
    assert expected > 10  # a proper rotation cannot undo a mirror
    assert metrics['P2'] == pytest.approx(expected, rel=1e-4)


def test_random_against_independent_numpy():
    rng = np.random.RandomState(2)
    actions = ['Walking', 'Sitting', 'Walking', 'Phoning', 'Sitting',
               'Walking']
    samples, p1, p2 = [], {}, {}
    for action in actions:
        gt = _pose(rng)
        pred = gt + rng.normal(0, 0.05, gt.shape)
        samples.append(_sample(pred, gt, action))
        pred32 = pred.astype(np.float32).astype(np.float64)
        gt32 = gt.astype(np.float32).astype(np.float64)
        p1.setdefault(action, []).append(
            1000 * np.linalg.norm(pred32 - gt32, axis=1).mean())
        p2.setdefault(action, []).append(1000 *
                                         _umeyama_p_mpjpe(pred32, gt32))
    metrics = _evaluate(samples)
    for action in p1:
        assert metrics[f'P1/{action}'] == pytest.approx(np.mean(p1[action]))
        assert metrics[f'P2/{action}'] == pytest.approx(np.mean(p2[action]))
    assert metrics['P1'] == pytest.approx(
        np.mean([np.mean(v) for v in p1.values()]))
    assert metrics['P2'] == pytest.approx(
        np.mean([np.mean(v) for v in p2.values()]))
    assert metrics['P1_frames'] == pytest.approx(np.mean(sum(p1.values(), [])))
    assert metrics['P2_frames'] == pytest.approx(np.mean(sum(p2.values(), [])))
    assert metrics['P2'] < metrics['P1']


def test_action_mean_vs_frame_mean():
    """One 10 mm Greeting frame, three 30 mm Waiting frames: 20 vs 25."""
    gt = np.zeros((17, 3))
    samples = [_sample(gt + [0.01, 0, 0], gt, 'Greeting')] + [
        _sample(gt + [0, 0.03, 0], gt, 'Waiting') for _ in range(3)
    ]
    metrics = _evaluate(samples)
    assert metrics['P1'] == pytest.approx(20, abs=1e-3)
    assert metrics['P1_frames'] == pytest.approx(25, abs=1e-3)
    assert metrics['P2'] == pytest.approx(0, abs=1e-3)  # collapsed poses
    assert list(k for k in metrics if k.startswith('P1/')) == [
        'P1/Greeting', 'P1/Waiting'
    ]


def test_bad_inputs():
    gt = np.zeros((17, 3))
    metric = H36MMetric()
    with pytest.raises(ValueError, match='action'):
        metric.process({}, [dict(
            pred_instances=dict(keypoints=gt[None]),
            gt_instances=dict(lifting_target=gt[None]))])
    with pytest.raises(ValueError, match=r'keypoints has shape \(1, 17, 2\)'):
        metric.process({}, [_sample(gt[:, :2], gt, 'Eating')])
    with pytest.raises(ValueError, match='differ in shape'):
        metric.process({}, [_sample(gt[:16], gt, 'Eating')])
    nan = gt.copy()
    nan[3, 1] = np.nan  # MMPose's Procrustes would fail in the SVD
    with pytest.raises(ValueError, match=r'H36MMetric: the prediction of data sample 0 '
                       r'\(Eating, .*\) is not finite \(NaN or inf\) at joints \[3\]'):
        metric.process({}, [_sample(nan, gt, 'Eating')])


def test_through_evaluator_with_pose_data_samples():
    from mmengine.evaluator import Evaluator
    from mmengine.structures import InstanceData

    from metapose_plugin.testing import get_packed_inputs
    batch = get_packed_inputs(3, seed=5)
    expected = []
    for sample in batch['data_samples']:
        gt = sample.gt_instances.lifting_target
        pred = gt + 0.02
        sample.pred_instances = InstanceData(keypoints=pred)
        expected.append(1000 * np.linalg.norm(pred - gt, axis=-1).mean())
    evaluator = Evaluator(H36MMetric())
    evaluator.process(batch['data_samples'], batch)
    metrics = evaluator.evaluate(3)
    assert metrics['P1_frames'] == pytest.approx(np.mean(expected), rel=1e-5)
    assert metrics['P2'] == pytest.approx(0, abs=1e-2)
