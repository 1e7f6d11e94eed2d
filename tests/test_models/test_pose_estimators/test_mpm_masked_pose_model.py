import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

from metapose_plugin.models.pose_estimators.mpm_masked_pose_model import MPMMaskedPoseModel

B, F, K, C = 3, 6, 5, 16
FLIP = [0, 2, 1, 4, 3]


def build(**kwargs):
    torch.manual_seed(0)
    geometry = dict(num_keypoints=K, num_frames=F, embed_dims=C, hidden_dims=20, num_heads=4)
    cfg = dict(type='MPMMaskedPoseModel',
               backbone=dict(type='MPMEncoder', num_layers=1, **geometry),
               head=dict(type='MPMReconstructionHead', **geometry))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(seed=0, manner=None):
    rng = np.random.default_rng(seed)
    inputs = torch.randn(B, F, K, 2, generator=torch.Generator().manual_seed(seed))
    samples = []
    for i in range(B):
        meta = dict(flip_indices=FLIP)
        for dims in ('2d', '3d'):
            frame = np.zeros(F, bool)
            frame[rng.choice(F, 2, replace=False)] = True
            meta[f'mpm_frame_mask_{dims}'] = frame
            meta[f'mpm_joint_mask_{dims}'] = rng.random((F, K)) > 0.6
        sample = PoseDataSample(metainfo=meta)
        target = rng.normal(size=(F, K, 3)).astype(np.float32)
        sample.gt_instance_labels = InstanceData(lifting_target_label=target,
                                                 keypoint_labels=inputs[i].numpy())
        samples.append(sample)
    return inputs, samples


def test_losses_weights_and_masking_options():
    inputs, samples = batch()
    model = build(tasks=('pose2d', 'pose3d', 'lift'), loss_weights=dict(pose2d=5., pose3d=2.,
                                                                        lift=3.)).eval()
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss_pose2d', 'loss_pose3d', 'loss_lift'}
    model.loss_weights['pose2d'] = 10.
    torch.testing.assert_close(model.loss(inputs, samples)['loss_pose2d'],
                               2 * losses['loss_pose2d'])
    model.loss_on_masked = False
    all_joints = model.loss(inputs, samples)
    assert not torch.allclose(all_joints['loss_pose2d'], 2 * losses['loss_pose2d'])
    torch.testing.assert_close(all_joints['loss_lift'], losses['loss_lift'])


def test_shared_masks_use_the_first_sample():
    inputs, samples = batch()
    model = build(share_masks=True).eval()
    shared = model.loss(inputs, samples)
    for s in samples[1:]:
        for key in ('mpm_joint_mask_2d', 'mpm_frame_mask_2d', 'mpm_joint_mask_3d',
                    'mpm_frame_mask_3d'):
            s.set_metainfo({key: samples[0].metainfo[key]})
    model.share_masks = False
    torch.testing.assert_close(model.loss(inputs, samples), shared)


def test_predict_fields_and_flip_test():
    inputs, samples = batch()
    model = build(tasks=('pose2d', 'lift', 'pose3d')).eval()
    preds = model.predict(inputs, samples)
    pred = preds[0].pred_instances
    assert pred.pose2d.shape == (1, F, K, 2) and pred.lift.shape == (1, F, K, 3)
    assert pred.pose3d.shape == (1, F, K, 3) and pred.mask_2d.dtype == bool
    joint = samples[0].metainfo['mpm_joint_mask_2d']
    frame = samples[0].metainfo['mpm_frame_mask_2d']
    assert (pred.mask_2d[0] == (joint | frame[:, None])).all()
    # flip test: the mirrored batch (with mirrored masks) gives the mirrored prediction
    model.test_cfg = dict(flip_test=True)
    direct = model.predict(inputs, batch()[1])[0].pred_instances.lift
    _, mirrored_samples = batch()
    for s in mirrored_samples:
        for key in ('mpm_joint_mask_2d', ):
            s.set_metainfo({key: s.metainfo[key][:, FLIP]})
    from metapose_plugin.structures.pose_ops import mirror_poses
    mirrored = model.predict(mirror_poses(inputs, FLIP), mirrored_samples)[0].pred_instances.lift
    np.testing.assert_allclose(mirror_poses(torch.as_tensor(mirrored), FLIP).numpy(), direct,
                               atol=1e-5)


def test_missing_masks_and_bad_inputs_are_named():
    inputs, samples = batch()
    model = build().eval()
    bare = []
    for s in samples:
        sample = PoseDataSample(metainfo={})
        sample.gt_instance_labels = s.gt_instance_labels
        bare.append(sample)
    with pytest.raises(KeyError, match='mpm_joint_mask_2d'):
        model.loss(inputs, bare)
    with pytest.raises(AttributeError, match='lifting_target_label'):
        model.loss(inputs, [PoseDataSample(metainfo=s.metainfo) for s in samples])
    with pytest.raises(ValueError, match='2D windows'):
        model.loss(torch.randn(B, F, K, 3), samples)
    with pytest.raises(ValueError, match='tasks'):
        build(tasks=('unknown', ))
    assert isinstance(model, MPMMaskedPoseModel)
