import numpy as np
import pytest

from metapose_plugin.evaluation.metrics.mpm_completion_metric import MPMCompletionMetric

F, K = 2, 4


def sample(manner, offset):
    gt2d = np.zeros((1, F, K, 2))
    gt3d = np.zeros((F, K, 3))
    mask = np.zeros((1, F, K), bool)
    mask[:, :, 1] = True
    pose2d = gt2d.copy()
    pose2d[..., 1, 0] = offset  # error only on the masked joint
    pose2d[..., 2, 0] = 1.0  # and on a visible one
    pose3d = np.zeros((1, F, K, 3))
    pose3d[..., 1, 2] = offset
    pose3d[..., 3, 2] = 5.0
    lift = pose3d.copy()
    lift[..., 0, :] = 7.0  # the predicted root is set to 0
    return dict(pred_instances=dict(pose2d=pose2d, pose3d=pose3d, lift=lift, mask_2d=mask,
                                    mask_3d=mask),
                gt_instance_labels=dict(keypoint_labels=gt2d, lifting_target_label=gt3d),
                mpm_manner_2d=manner, mpm_manner_3d=manner)


def test_masked_and_reference_averages_per_manner():
    metric = MPMCompletionMetric()
    metric.process({}, [sample(0, 0.1), sample(4, 0.3)])
    out = metric.compute_metrics(metric.results)
    assert out['pose2d_x1000'] == pytest.approx(200.0)
    assert out['pose2d_x1000/manner0'] == pytest.approx(100.0)
    assert out['pose3d_mpjpe/manner4'] == pytest.approx(300.0)
    assert out['lift_mpjpe'] == pytest.approx((200 + 5000) / K)
    ref = MPMCompletionMetric(masked_only=False)
    ref.process({}, [sample(0, 0.1), sample(4, 0.3)])
    out = ref.compute_metrics(ref.results)
    # composite: visible joints take the ground truth, so only the masked joint counts
    assert out['pose3d_mpjpe'] == pytest.approx(200.0 / K)
    assert out['pose2d_x1000'] == pytest.approx((200 + 1000) / K)


@pytest.mark.parametrize('task', ['pose2d', 'lift', 'pose3d'])
def test_non_finite_predictions_are_refused(task):
    bad = sample(0, 0.1)
    bad['pred_instances'][task][0, 1, 2, 0] = np.nan
    with pytest.raises(ValueError, match=rf'MPMCompletionMetric: the prediction of data sample '
                       rf'0 \(no metainfo, {task}\) is not finite \(NaN or inf\) at joints \[2\]'):
        MPMCompletionMetric().process({}, [bad])
