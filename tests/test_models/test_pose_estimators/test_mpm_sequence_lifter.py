import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

from metapose_plugin.structures.pose_ops import mirror_poses

B, F, K, C = 2, 9, 5, 16
FLIP = [0, 2, 1, 4, 3]


def build(**kwargs):
    torch.manual_seed(0)
    geometry = dict(num_keypoints=K, num_frames=F, embed_dims=C, hidden_dims=20, num_heads=4)
    cfg = dict(type='MPMSequenceLifter',
               backbone=dict(type='MPMEncoder', num_layers=1, modalities=('pose2d', ),
                             with_mask_token=False, final_norm=False, **geometry),
               head=dict(type='MPMLiftingHead', **geometry), metainfo=None)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def samples(frames):
    rng = np.random.default_rng(0)
    out = []
    for _ in range(B):
        s = PoseDataSample(metainfo=dict(
            flip_indices=FLIP, target_root=np.array([[0.1, 0.2, 4.5]] * frames),
            camera_param=dict(f=np.array([[2.3], [2.3]]), c=np.array([[0.01], [-0.02]]))))
        s.gt_instance_labels = InstanceData(
            lifting_target_label=rng.normal(size=(frames, K, 3)).astype(np.float32))
        out.append(s)
    return out


def test_loss_and_predict():
    model = build().eval()
    x = torch.randn(B, F, K, 2)
    losses = model.loss(x, samples(F))
    assert set(losses) == {'loss_frames', 'loss_center'}
    with pytest.raises(ValueError, match='every frame'):
        model.loss(x, samples(1))
    preds = model.predict(x, samples(1))
    keypoints = preds[0].pred_instances.keypoints
    assert keypoints.shape == (1, K, 3) and (keypoints[0, 0] == 0).all()


def test_flip_test_is_mirror_equivariant():
    model = build().eval()
    x = torch.randn(B, F, K, 2)
    center, frames = model.lift(x, FLIP)
    center_m, frames_m = model.lift(mirror_poses(x, FLIP), FLIP)
    torch.testing.assert_close(mirror_poses(center_m, FLIP), center, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(mirror_poses(frames_m, FLIP), frames, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(model.lift(x)[0], center)


def test_refine_stage():
    model = build(refine=dict(hidden_dims=32)).eval()
    x = torch.randn(B, F, K, 2)
    assert set(model.loss(x, samples(F))) == {'loss_refine'}
    model.train_cfg = dict(refine_only=False)
    assert set(model.loss(x, samples(F))) == {'loss_refine', 'loss_frames', 'loss_center'}
    refined = model.predict(x, samples(1))[0].pred_instances.keypoints
    plain = build().eval().predict(x, samples(1))[0].pred_instances.keypoints
    assert refined.shape == plain.shape and not np.allclose(refined, plain)
    bare = [PoseDataSample(metainfo={}) for _ in range(B)]
    with pytest.raises(KeyError, match='target_root'):
        model.predict(x, bare)
