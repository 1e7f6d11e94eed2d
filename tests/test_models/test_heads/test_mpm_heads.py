import pytest
import torch
from torch import nn

from metapose_plugin.models.heads.mpm_heads import MPMLiftingHead, MPMReconstructionHead

K, C = 5, 16


def test_reconstruction_head_assembles_tokens_in_time_order():
    torch.manual_seed(0)
    head = MPMReconstructionHead(K, num_frames=6, embed_dims=C, hidden_dims=20, num_heads=4)
    tokens = torch.randn(2, 4, C)
    frame_mask = torch.tensor([0, 1, 0, 0, 1, 0], dtype=torch.bool)
    x = head.assemble(tokens, frame_mask)
    pos = head.pos_embed[0]
    torch.testing.assert_close(x[:, [0, 2, 3, 5]], tokens + pos[[0, 2, 3, 5]])
    torch.testing.assert_close(x[0, [1, 4]], head.mask_token[0] + pos[[1, 4]])
    out = head.eval()(tokens, frame_mask, ('pose2d', 'pose3d'))
    assert out['pose2d'].shape == (2, 6, K, 2) and out['pose3d'].shape == (2, 6, K, 3)
    with pytest.raises(KeyError, match='pose3d'):
        MPMReconstructionHead(K, 6, C, 20, num_heads=4, modalities=('pose2d', ))(
            tokens, frame_mask, ('pose3d', ))


def test_decoder_output_is_joint_major():
    head = MPMReconstructionHead(K, num_frames=3, embed_dims=C, hidden_dims=20, num_heads=4,
                                 modalities=('pose3d', )).eval()
    decoder = head.decoders.pose3d
    nn.init.zeros_(decoder.head.fc.weight)
    with torch.no_grad():
        decoder.head.fc.bias.copy_(torch.arange(3 * K, dtype=torch.float))
    out = head(torch.randn(1, 3, C), None, ('pose3d', ))['pose3d']
    assert out[0, 0, 2, 1].item() == 2 * 3 + 1  # channel k * d + i


@pytest.mark.parametrize('frames,layers', [(9, 3), (27, 3), (81, 4)])
def test_lifting_head_reduces_to_the_centre(frames, layers):
    """The strided layers reduce the F tokens to one, from which the centre
    pose comes: it sees every frame of the window, while each frame's pose
    sees its own token only."""
    torch.manual_seed(0)
    head = MPMLiftingHead(K, frames, C, 20, num_heads=4).eval()
    assert len(head.layers) == layers and len(head.pos_embeds) == 3
    reduced = []
    hook = head.center_head.register_forward_pre_hook(lambda m, args: reduced.append(args[0]))
    tokens = torch.randn(2, frames, C)
    with torch.no_grad():
        center, all_frames = head(tokens)
        moved = tokens.clone()
        moved[:, 0] += 1.0  # the first frame, far from the centre
        moved_center, moved_frames = head(moved)
    hook.remove()
    assert reduced[0].shape == (2, C, 1)  # (B, C, N): one token left
    assert center.shape == (2, 1, K, 3) and all_frames.shape == (2, frames, K, 3)
    assert (moved_center - center).abs().max() > 1e-3
    assert (moved_frames[:, 0] - all_frames[:, 0]).abs().max() > 1e-3
    torch.testing.assert_close(moved_frames[:, 1:], all_frames[:, 1:])


def test_lifting_head_checks_strides():
    with pytest.raises(ValueError, match='no default strides'):
        MPMLiftingHead(K, 10, C, 20, num_heads=4)
    with pytest.raises(ValueError, match='not 1'):
        MPMLiftingHead(K, 27, C, 20, strides=(3, 3), num_heads=4)
    head = MPMLiftingHead(K, 10, C, 20, strides=(5, 2), num_heads=4, num_pos_embeds=1).eval()
    assert head(torch.randn(1, 10, C))[0].shape == (1, 1, K, 3)


def test_decoder_checkpointing_keeps_values_and_gradients():
    tokens = torch.randn(2, 4, C)
    frame_mask = torch.tensor([0, 1, 0, 0, 1, 0], dtype=torch.bool)
    results = []
    for with_cp in (False, True):
        torch.manual_seed(0)
        head = MPMReconstructionHead(K, 6, C, 20, num_heads=4, drop=0.3, with_cp=with_cp)
        source = tokens.clone().requires_grad_()
        torch.manual_seed(1)
        out = head(source, frame_mask, ('pose2d', ))['pose2d']
        out.square().sum().backward()
        results.append((out.detach(), source.grad))
    torch.testing.assert_close(results[0][0], results[1][0])
    torch.testing.assert_close(results[0][1], results[1][1])
