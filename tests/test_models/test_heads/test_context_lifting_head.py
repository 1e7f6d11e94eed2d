import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from metapose_plugin.models.heads import ContextLiftingHead

K = 4
FLIP_INDICES = [0, 2, 1, 3]


def _head(**kwargs):
    torch.manual_seed(0)
    head = ContextLiftingHead(embed_dims=8, num_tokens=3, num_keypoints=K, num_blocks=2,
                              num_heads=2, **kwargs)
    head.init_weights()
    return head.eval()


def _samples(targets):
    samples = []
    for target in targets:
        sample = PoseDataSample(metainfo=dict(flip_indices=FLIP_INDICES))
        sample.gt_instance_labels = InstanceData(lifting_target_label=target[None])
        samples.append(sample)
    return samples


def test_forward_shape_and_token_layout():
    head = _head()
    tokens = torch.randn(2, 3, K, 8)
    out = head(tokens)
    assert out.shape == (2, K, 3)
    # scale blocks per joint over T tokens -> concat in token order -> joint blocks
    x = tokens.permute(0, 2, 1, 3).reshape(2 * K, 3, 8)
    for block in head.scale_blocks:
        x = block(x)
    x = x.reshape(2, K, 24)
    for block in head.joint_blocks:
        x = block(x)
    torch.testing.assert_close(out, head.fc(head.final_norm(x)))
    with pytest.raises(ValueError, match='tokens'):
        head(torch.randn(2, K, 3, 8))


def test_loss_is_mpjpe_in_metres():
    head = _head()
    tokens = torch.randn(3, 3, K, 8)
    targets = torch.randn(3, K, 3)
    losses = head.loss(tokens, _samples(targets))
    pred = head(tokens)
    expected = np.mean(np.linalg.norm((pred - targets).detach().numpy(), axis=-1))
    assert set(losses) == {'loss_pose3d'}
    assert losses['loss_pose3d'].item() == pytest.approx(float(expected), rel=1e-5)


def test_predict_format_and_flip_average():
    head = _head()
    tokens, tokens_flip = torch.randn(2, 3, K, 8), torch.randn(2, 3, K, 8)
    samples = _samples(torch.zeros(2, K, 3))
    preds = head.predict(tokens, samples)
    assert len(preds) == 2
    assert preds[0].keypoints.shape == (1, K, 3) and preds[0].keypoint_scores.shape == (1, K)
    np.testing.assert_allclose(preds[1].keypoints[0], head(tokens)[1].detach().numpy(), atol=1e-6)

    flipped = head.predict((tokens, tokens_flip), samples, test_cfg=dict(flip_test=True))
    mirrored = head(tokens_flip).detach().numpy()[:, FLIP_INDICES] * np.array([-1, 1, 1])
    expected = (head(tokens).detach().numpy() + mirrored) / 2
    np.testing.assert_allclose(flipped[0].keypoints[0], expected[0], atol=1e-6)


def test_optional_positional_embeddings():
    plain, with_pos = _head(), _head(with_pos_embed=True)
    extra = sum(p.numel() for p in with_pos.parameters()) - sum(
        p.numel() for p in plain.parameters())
    assert extra == 3 * 8 + K * 24
    assert 0.005 < with_pos.joint_pos_embed.std().item() < 0.05
    assert not hasattr(plain, 'scale_pos_embed')
