import torch
import torch.nn.functional as F

from metapose_plugin.models.layers import Attention, ViTBlock


def _manual_attention(attn: Attention, x: torch.Tensor) -> torch.Tensor:
    """Multi-head attention written out head by head from the weights."""
    B, N, C = x.shape
    M = attn.num_heads
    d = C // M
    q, k, v = F.linear(x, attn.qkv.weight, attn.qkv.bias).split(C, dim=-1)
    heads = []
    for h in range(M):
        sl = slice(h * d, (h + 1) * d)
        scores = q[..., sl] @ k[..., sl].transpose(1, 2) / d**0.5
        heads.append(scores.softmax(-1) @ v[..., sl])
    return F.linear(torch.cat(heads, dim=-1), attn.proj.weight, attn.proj.bias)


def test_attention_fused_and_manual_match_reference():
    torch.manual_seed(0)
    x = torch.randn(3, 5, 24)
    fused = Attention(24, num_heads=4, fused_attn=True)
    manual = Attention(24, num_heads=4, fused_attn=False)
    manual.load_state_dict(fused.state_dict())
    expected = _manual_attention(fused, x)
    torch.testing.assert_close(fused(x), expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(manual(x), expected, atol=1e-5, rtol=1e-5)


def test_vit_block_is_pre_norm_residual():
    torch.manual_seed(0)
    block = ViTBlock(24, num_heads=4, mlp_ratio=2.0, drop_path_rate=0.3, norm_eps=1e-6).eval()
    for p in block.parameters():
        torch.nn.init.normal_(p, std=0.2)
    x = torch.randn(2, 7, 24)
    n1 = F.layer_norm(x, (24, ), block.norm1.weight, block.norm1.bias, 1e-6)
    h = x + _manual_attention(block.attn, n1)
    n2 = F.layer_norm(h, (24, ), block.norm2.weight, block.norm2.bias, 1e-6)
    hidden = F.gelu(F.linear(n2, block.mlp.fc1.weight, block.mlp.fc1.bias))
    expected = h + F.linear(hidden, block.mlp.fc2.weight, block.mlp.fc2.bias)
    assert block.mlp.fc1.out_features == 48
    assert block.norm1.eps == 1e-6
    torch.testing.assert_close(block(x), expected, atol=1e-5, rtol=1e-5)


def test_vit_block_names_follow_timm():
    names = set(ViTBlock(8, 2).state_dict())
    assert names == {
        'norm1.weight', 'norm1.bias', 'attn.qkv.weight', 'attn.qkv.bias', 'attn.proj.weight',
        'attn.proj.bias', 'norm2.weight', 'norm2.bias', 'mlp.fc1.weight', 'mlp.fc1.bias',
        'mlp.fc2.weight', 'mlp.fc2.bias'
    }
