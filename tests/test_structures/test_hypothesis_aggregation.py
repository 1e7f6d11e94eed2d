import math

import torch

from metapose_plugin.structures.hypothesis_aggregation import (aggregate_mean,
                                                               aggregate_reprojection,
                                                               hypothesis_errors, joint_errors,
                                                               procrustes_align, select_joint_best,
                                                               select_pose_best)

F, K = 2, 3


def two_hypotheses():
    """Ground truth and two hypotheses: hypothesis 0 exact on joint 0, off by
    1 cm on joints 1-2; hypothesis 1 off by 5 cm on joint 0, exact on 1-2."""
    gt = torch.arange(F * K * 3, dtype=torch.float32).view(F, K, 3) / 10
    hyps = gt.expand(2, F, K, 3).clone()
    hyps[0, :, 1:, 0] += 0.01
    hyps[1, :, 0, 1] += 0.05
    return hyps, gt


def test_joint_and_pose_best_are_oracles_on_the_ground_truth():
    hyps, gt = two_hypotheses()
    pose, index = select_joint_best(hyps, gt)
    assert torch.equal(pose, gt) and index.tolist() == [[0, 1, 1]] * F
    pose, index = select_pose_best(hyps, gt)  # mean errors 0.0067 vs 0.0167
    assert index.item() == 0 and torch.equal(pose, hyps[0])
    errors = hypothesis_errors(hyps, gt)
    assert errors['J-Best'].abs().max() < 1e-7
    torch.testing.assert_close(errors['P-Best'], joint_errors(hyps[0], gt))
    torch.testing.assert_close(aggregate_mean(hyps), hyps.mean(0))


def test_pose_best_pooled_over_the_batch():
    hyps, gt = two_hypotheses()
    flipped = hyps.flip(0).clone()
    flipped[0] += 0.001  # sample 2 prefers hypothesis 1, slightly
    batch_h, batch_gt = torch.stack([hyps, flipped]), torch.stack([gt, gt])
    _, per_sample = select_pose_best(batch_h, batch_gt)
    assert per_sample.tolist() == [0, 1]
    _, pooled = select_pose_best(batch_h, batch_gt, pool_dims=(0, ))
    assert pooled.shape == (1, ) and pooled.item() in (0, 1)
    errors = hypothesis_errors(batch_h, batch_gt, pool_dims=(0, ))['P-Best']
    expected = joint_errors(batch_h[:, pooled.item()], batch_gt)
    torch.testing.assert_close(errors, expected)


def test_reprojection_picks_the_hypothesis_matching_the_2d_input():
    # pinhole camera f = 1, c = 0, no distortion; root 4 m in front
    intrinsics = torch.tensor([1., 1., 0., 0., 0., 0., 0., 0., 0.])
    root = torch.tensor([0., 0., 4.]).expand(F, 1, 3)
    hyps, gt = two_hypotheses()
    keypoints_2d = (gt + root)[..., :2] / (gt + root)[..., 2:]
    pose, index, reprojected = aggregate_reprojection(hyps, keypoints_2d, root, intrinsics)
    assert index.tolist() == [[0, 1, 1]] * F and torch.allclose(pose, gt)
    assert reprojected.shape == (2, F, K, 2)
    errors = hypothesis_errors(hyps, gt, keypoints_2d, root, intrinsics)
    assert errors['J-Agg'].abs().max() < 1e-6


def test_procrustes_removes_similarity_but_not_reflection():
    g = torch.Generator().manual_seed(0)
    target = torch.randn(4, 17, 3, generator=g, dtype=torch.float64)
    angle = 0.7
    rot = torch.tensor([[math.cos(angle), -math.sin(angle), 0], [math.sin(angle),
                                                                 math.cos(angle), 0],
                        [0, 0, 1]], dtype=torch.float64)
    moved = 1.7 * target @ rot.T + torch.tensor([0.3, -2.0, 1.0], dtype=torch.float64)
    torch.testing.assert_close(procrustes_align(moved, target), target)
    mirrored = target * torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)
    assert joint_errors(mirrored, target, align=True).mean() > 0.1
