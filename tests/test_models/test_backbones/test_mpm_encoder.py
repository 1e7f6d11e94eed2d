import pytest
import torch

from metapose_plugin.models.backbones.mpm_encoder import MPMEncoder, visible_frame_index

K, F, C = 5, 7, 16


def encoder(**kwargs):
    torch.manual_seed(0)
    args = dict(num_keypoints=K, num_frames=F, embed_dims=C, hidden_dims=24, num_layers=2,
                num_heads=4)
    args.update(kwargs)
    return MPMEncoder(**args).eval()


def test_shapes_and_modalities():
    model = encoder()
    assert model(torch.randn(3, F, K, 2)).shape == (3, F, C)
    assert model(torch.randn(3, F, K, 3), 'pose3d').shape == (3, F, C)
    frame_mask = torch.tensor([1, 0, 0, 1, 0, 1, 0], dtype=torch.bool)
    assert model(torch.randn(3, F, K, 2), frame_mask=frame_mask).shape == (3, 4, C)
    lifter = encoder(modalities=('pose2d', ), with_mask_token=False, final_norm=False)
    assert 'pose3d' not in lifter.embeds and lifter.final_norm is None
    with pytest.raises(KeyError, match='pose3d'):
        lifter(torch.randn(1, F, K, 3), 'pose3d')
    with pytest.raises(ValueError, match='mask token'):
        lifter(torch.randn(1, F, K, 2), joint_mask=torch.zeros(F, K, dtype=torch.bool))
    with pytest.raises(ValueError, match='frames'):
        model(torch.randn(1, F + 1, K, 2))


def test_masked_frames_and_joints_do_not_reach_the_output():
    model = encoder()
    x = torch.randn(2, F, K, 2)
    frame_mask = torch.tensor([0, 1, 0, 0, 1, 1, 0], dtype=torch.bool)
    joint_mask = torch.zeros(F, K, dtype=torch.bool)
    joint_mask[:, 2] = True
    out = model(x, joint_mask=joint_mask, frame_mask=frame_mask)
    changed = x.clone()
    changed[:, frame_mask] += 10  # masked frames
    changed[:, :, 2] -= 7  # masked joint
    torch.testing.assert_close(model(changed, joint_mask=joint_mask, frame_mask=frame_mask), out)
    assert not torch.allclose(model(changed, frame_mask=frame_mask), out)


def test_per_sample_masks_and_skipping_masked_frames():
    model = encoder()
    x = torch.randn(2, F, K, 3)
    masks = torch.tensor([[0, 1, 0, 0, 1, 1, 0], [1, 1, 0, 0, 0, 0, 1]], dtype=torch.bool)
    joint = torch.rand(2, F, K) > 0.7
    out = model(x, 'pose3d', joint, masks)
    for b in range(2):
        torch.testing.assert_close(out[b:b + 1], model(x[b:b + 1], 'pose3d', joint[b:b + 1],
                                                       masks[b]))
    lean = encoder(encode_masked_frames=False)
    torch.testing.assert_close(lean(x, 'pose3d', joint, masks), out, atol=1e-6, rtol=1e-5)
    with pytest.raises(ValueError, match='same number'):
        visible_frame_index(torch.tensor([[1, 0, 0], [0, 0, 0]], dtype=torch.bool), 2)
    assert visible_frame_index(masks[0], 3).tolist() == [[0, 2, 3, 6]] * 3


def test_activation_checkpointing_keeps_values_and_gradients():
    x = torch.randn(2, F, K, 2)
    frame_mask = torch.tensor([0, 1, 0, 0, 1, 1, 0], dtype=torch.bool)
    outs, grads = [], []
    for with_cp in (False, True):
        model = encoder(with_cp=with_cp, drop=0.3).train()
        torch.manual_seed(1)  # the same dropout draws, replayed by the recomputation
        out = model(x, frame_mask=frame_mask)
        out.square().sum().backward()
        outs.append(out.detach())
        grads.append(model.embeds.pose2d.proj.fc.weight.grad.clone())
    torch.testing.assert_close(outs[0], outs[1])
    torch.testing.assert_close(grads[0], grads[1])
